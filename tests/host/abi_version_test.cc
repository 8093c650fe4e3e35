#include "lib/abi/abi_version.h"

#include <sys/stat.h>

#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "lib/uapi/linux/ghost.h"

namespace ghost {
namespace {

TEST(ParseAbiVersion, AcceptsANumberAndANewline) {
  absl::StatusOr<uint32_t> v = ParseAbiVersion("17\n");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, 17u);
}

TEST(ParseAbiVersion, RejectsMissingNewline) {
  EXPECT_EQ(ParseAbiVersion("17").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ParseAbiVersion, RejectsNonNumbers) {
  for (const char* bad : {"\n", "x\n", "-1\n", "1 2\n", " 1\n", "1\n\n"}) {
    EXPECT_EQ(ParseAbiVersion(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << "input: " << bad;
  }
}

TEST(LibraryAbiVersion, IsTheUapiHeaderVersion) {
  EXPECT_EQ(LibraryAbiVersion(), static_cast<uint32_t>(GHOST_ABI_VERSION));
}

class KernelAbiVersionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/fake_ghostfs";
    mkdir(dir_.c_str(), 0755);
  }
  void WriteVersion(const std::string& contents) {
    std::ofstream(dir_ + "/version") << contents;
  }
  std::string dir_;
};

TEST_F(KernelAbiVersionTest, MatchingVersionIsOk) {
  WriteVersion(std::to_string(GHOST_ABI_VERSION) + "\n");
  EXPECT_TRUE(CheckKernelAbiVersion(dir_).ok());
}

TEST_F(KernelAbiVersionTest, MismatchNamesBothVersions) {
  WriteVersion(std::to_string(GHOST_ABI_VERSION + 1) + "\n");
  absl::Status s = CheckKernelAbiVersion(dir_);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(
      s.message().find("version " + std::to_string(GHOST_ABI_VERSION + 1)),
      std::string::npos)
      << s;
  EXPECT_NE(s.message().find("built for version " +
                             std::to_string(GHOST_ABI_VERSION)),
            std::string::npos)
      << s;
}

TEST(KernelAbiVersion, MissingGhostfsSaysHowToMountIt) {
  absl::Status s = CheckKernelAbiVersion("/no/such/ghostfs");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(s.message().find("mount -t ghost none"), std::string::npos) << s;
}

}  // namespace
}  // namespace ghost
