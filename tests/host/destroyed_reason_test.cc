// Why an enclave was destroyed, from the text of /sys/fs/ghost/destroyed
// ("<id> <reason>" lines, oldest first), as an agent reports it.
#include <sys/stat.h>

#include <fstream>
#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "lib/abi/enclave.h"

namespace ghost {
namespace {

TEST(FindDestroyedReason, TheNewestLineAboutTheEnclaveWins) {
  const char text[] =
      "3 destroyed through its ctl file\n"
      "4 destroyed through /sys/fs/ghost/ctl\n"
      "3 watchdog: thread 812 (gtid 9) was runnable for 210 ms without "
      "running\n";
  EXPECT_EQ(FindDestroyedReason(text, 3),
            "watchdog: thread 812 (gtid 9) was runnable for 210 ms without "
            "running");
  EXPECT_EQ(FindDestroyedReason(text, 4),
            "destroyed through /sys/fs/ghost/ctl");
}

TEST(FindDestroyedReason, AnEnclaveWithNoLineHasNoReason) {
  EXPECT_EQ(FindDestroyedReason("31 destroyed through its ctl file\n", 3),
            std::nullopt);
  EXPECT_EQ(FindDestroyedReason("", 3), std::nullopt);
}

TEST(FindDestroyedReason, MalformedLinesAreSkipped) {
  EXPECT_EQ(FindDestroyedReason("x 3\n\n-3 gone\n3 gone\n3x other\n", 3),
            "gone");
}

class DestroyedReasonTest : public ::testing::Test {
 protected:
  void SetUp() override { mkdir(root_.c_str(), 0755); }
  void Write(const std::string& text) {
    std::ofstream(root_ + "/destroyed") << text;
  }
  const std::string root_ = ::testing::TempDir() + "/fake_ghostfs_destroyed";
};

TEST_F(DestroyedReasonTest, ReadsTheReasonFromTheFile) {
  Write("5 destroyed through its ctl file\n");
  EXPECT_EQ(DestroyedReason(root_, 5), "destroyed through its ctl file");
}

TEST_F(DestroyedReasonTest, SaysSoWhenTheFileHasNoLineAboutIt) {
  Write("6 destroyed through its ctl file\n");
  EXPECT_EQ(DestroyedReason(root_, 5),
            "no reason known (" + root_ + "/destroyed has no line about it)");
}

TEST(DestroyedReason, SaysSoWhenTheFileCannotBeRead) {
  EXPECT_EQ(DestroyedReason("/no/such/ghostfs", 5).rfind(
                "no reason known (open /no/such/ghostfs/destroyed", 0),
            0u);
}

}  // namespace
}  // namespace ghost
