// ghostfs basics (kernel rule K4): the filesystem type, the mount point, the
// version file, and that the hierarchy survives umount and mount.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "lib/abi/abi_version.h"
#include "lib/abi/ghostfs_mount.h"
#include "lib/uapi/linux/ghost.h"

namespace ghost {
namespace {

constexpr char kMount[] = GHOSTFS_MOUNT_POINT;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class GhostfsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(EnsureGhostfsMounted(kMount).ok()); }
};

TEST(GhostfsType, IsRegisteredInProcFilesystems) {
  EXPECT_NE(ReadFile("/proc/filesystems").find("nodev\tghost\n"),
            std::string::npos);
}

TEST(GhostfsType, MountPointExistsUnderSysFs) {
  struct stat st;
  ASSERT_EQ(stat(kMount, &st), 0) << "errno " << errno;
  EXPECT_TRUE(S_ISDIR(st.st_mode));
}

TEST_F(GhostfsTest, MountsAtSysFsGhost) {
  absl::StatusOr<bool> mounted = IsGhostfsMounted(kMount);
  ASSERT_TRUE(mounted.ok()) << mounted.status();
  EXPECT_TRUE(*mounted);
  EXPECT_NE(ReadFile("/proc/mounts").find(" /sys/fs/ghost ghost "),
            std::string::npos);
}

TEST_F(GhostfsTest, VersionFileHoldsTheLibraryAbiVersion) {
  EXPECT_EQ(ReadFile(std::string(kMount) + "/version"),
            std::to_string(LibraryAbiVersion()) + "\n");
  absl::Status check = CheckKernelAbiVersion(kMount);
  EXPECT_TRUE(check.ok()) << check;
}

TEST_F(GhostfsTest, VersionFileIsReadOnly) {
  struct stat st;
  ASSERT_EQ(stat((std::string(kMount) + "/version").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0444);
}

TEST_F(GhostfsTest, WritingVersionFailsWithEacces) {
  const std::string path = std::string(kMount) + "/version";
  errno = 0;
  EXPECT_EQ(open(path.c_str(), O_WRONLY), -1);
  EXPECT_EQ(errno, EACCES);
  errno = 0;
  EXPECT_EQ(open(path.c_str(), O_RDWR), -1);
  EXPECT_EQ(errno, EACCES);
  // The failed writes changed nothing.
  EXPECT_EQ(ReadFile(path), std::to_string(LibraryAbiVersion()) + "\n");
}

TEST_F(GhostfsTest, SurvivesUmountAndMountAgain) {
  ASSERT_TRUE(UnmountGhostfs(kMount).ok());
  absl::StatusOr<bool> mounted = IsGhostfsMounted(kMount);
  ASSERT_TRUE(mounted.ok()) << mounted.status();
  EXPECT_FALSE(*mounted);
  EXPECT_FALSE(CheckKernelAbiVersion(kMount).ok());

  ASSERT_TRUE(EnsureGhostfsMounted(kMount).ok());
  EXPECT_TRUE(CheckKernelAbiVersion(kMount).ok());
}

TEST_F(GhostfsTest, CanBeMountedTwiceShowingTheSameTree) {
  char dir[] = "/tmp/ghostfs.XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  ASSERT_EQ(mount("none", dir, "ghost", 0, nullptr), 0) << "errno " << errno;
  EXPECT_EQ(ReadFile(std::string(dir) + "/version"),
            ReadFile(std::string(kMount) + "/version"));
  EXPECT_EQ(umount(dir), 0);
  rmdir(dir);
}

TEST_F(GhostfsTest, UnknownMountOptionFailsWithEinval) {
  char dir[] = "/tmp/ghostfs.XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  errno = 0;
  EXPECT_EQ(mount("none", dir, "ghost", 0, "no_such_option=1"), -1);
  EXPECT_EQ(errno, EINVAL);
  rmdir(dir);
}

TEST(GhostfsMountErrors, MountOnAMissingDirectoryExplainsTheErrno) {
  absl::Status s = EnsureGhostfsMounted("/no/such/dir");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("No such file or directory"), std::string::npos)
      << s;
}

}  // namespace
}  // namespace ghost
