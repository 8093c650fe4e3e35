// Enclave lookup against a fake ghostfs tree (no kernel needed).
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/ghostctl/ghostfs_session.h"

namespace ghost::ctl {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class FakeGhostfs : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = ::testing::TempDir() + "/fake_ghostfs_session";
    mkdir(root_.c_str(), 0755);
    mkdir((root_ + "/enclave_3").c_str(), 0755);
  }
  void WriteDestroyed(const std::string& text) {
    std::ofstream(root_ + "/destroyed") << text;
  }
  std::string root_;
};

TEST_F(FakeGhostfs, AnExistingEnclaveOpens) {
  absl::StatusOr<Enclave> e = OpenEnclave(root_, 3);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->id(), 3u);
}

TEST_F(FakeGhostfs, AMissingEnclavePointsToTheList) {
  absl::StatusOr<Enclave> e = OpenEnclave(root_, 4);
  EXPECT_EQ(e.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(e.status().message(), HasSubstr("no enclave 4"));
  EXPECT_THAT(e.status().message(), HasSubstr("ghostctl enclave list"));
}

TEST_F(FakeGhostfs, AMissingEnclaveSaysWhyItWasLastDestroyed) {
  WriteDestroyed(
      "4 destroyed through its ctl file\n"
      "14 destroyed through /sys/fs/ghost/ctl\n"
      "4 watchdog: thread 77 (gtid 12) was runnable for 10250 ms without "
      "running\n");
  EXPECT_EQ(DestroyReason(root_, 4),
            "watchdog: thread 77 (gtid 12) was runnable for 10250 ms without "
            "running");
  EXPECT_EQ(DestroyReason(root_, 1), std::nullopt);
  absl::StatusOr<Enclave> e = OpenEnclave(root_, 4);
  EXPECT_THAT(e.status().message(), HasSubstr("watchdog: thread 77"));
  EXPECT_THAT(OpenEnclave(root_, 1).status().message(),
              Not(HasSubstr("destroyed")));
}

TEST(ParseIds, RejectSignsSpacesAndZeroPids) {
  unsigned int id;
  EXPECT_TRUE(ParseEnclaveId("0", &id));
  EXPECT_FALSE(ParseEnclaveId("+1", &id));
  EXPECT_FALSE(ParseEnclaveId(" 1", &id));
  EXPECT_FALSE(ParseEnclaveId("99999999999", &id));
  pid_t pid;
  EXPECT_TRUE(ParsePid("42", &pid));
  EXPECT_EQ(pid, 42);
  EXPECT_FALSE(ParsePid("0", &pid));
  EXPECT_FALSE(ParsePid("-5", &pid));
}

}  // namespace
}  // namespace ghost::ctl
