// Ephemeral enclaves (kernel rule K15): "create <id> ephemeral" ties an
// enclave to the ctl file it was written to, and closing that file (as the
// creator's exit does) destroys the enclave; its threads return to CFS.
#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/abi/enclave.h"
#include "lib/abi/fd.h"
#include "lib/abi/ghostfs_mount.h"
#include "lib/uapi/linux/ghost.h"
#include "tests/vm/blocked_child.h"
#include "tests/vm/vm_helpers.h"
#include "tests/vm/wait_for.h"

namespace ghost {
namespace {

using ::ghost::testing::BlockedChild;
using ::ghost::testing::DestroyAllEnclaves;
using ::ghost::testing::EnclaveExists;
using ::ghost::testing::EnclaveGoneWithin;
using ::ghost::testing::ErrnoCode;
using ::ghost::testing::LastDestroyed;

const std::string kCtl = absl::StrCat(GHOSTFS_MOUNT_POINT, "/ctl");

// Writes `text` to an fd of ctl; returns 0 or the errno.
int WriteFd(int fd, const std::string& text) {
  return write(fd, text.data(), text.size()) ==
                 static_cast<ssize_t>(text.size())
             ? 0
             : errno;
}

class EphemeralTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(EnsureGhostfsMounted(GHOSTFS_MOUNT_POINT).ok());
    DestroyAllEnclaves();
  }
  void TearDown() override { DestroyAllEnclaves(); }
};

TEST_F(EphemeralTest, ClosingTheCreatorsCtlFileDestroysTheEnclave) {
  // Forked first: a child forked later would hold the ctl file too.
  BlockedChild child;
  Fd ctl(open(kCtl.c_str(), O_WRONLY));
  ASSERT_GE(ctl.get(), 0);
  ASSERT_EQ(WriteFd(ctl.get(), "create 14 ephemeral"), 0);
  Enclave e(14, GHOSTFS_MOUNT_POINT);
  ASSERT_TRUE(e.SetCpus("1").ok());
  ASSERT_TRUE(e.AddTask(child.pid()).ok());
  EXPECT_TRUE(EnclaveExists(14)) << "alive while its ctl file is open";
  ctl = Fd();
  ASSERT_TRUE(EnclaveGoneWithin(14, absl::Seconds(10)));
  EXPECT_EQ(LastDestroyed(),
            "14 ephemeral: the ctl file that created it was closed");
  EXPECT_EQ(sched_getscheduler(child.pid()), SCHED_OTHER);
  child.Poke();
  EXPECT_TRUE(child.WaitForCount(1)) << "its thread runs under CFS";
}

TEST_F(EphemeralTest, TheCreatorsExitDestroysItsEnclavesOnly) {
  ASSERT_TRUE(WriteGhostfsFile(kCtl, "create 16").ok());
  const pid_t creator = fork();
  if (creator == 0) {
    const int fd = open(kCtl.c_str(), O_WRONLY);
    if (fd < 0 || WriteFd(fd, "create 14 ephemeral") != 0 ||
        WriteFd(fd, "create 15 ephemeral") != 0) {
      _exit(1);
    }
    _exit(0);  // without closing: the exit does it
  }
  int status;
  ASSERT_EQ(waitpid(creator, &status, 0), creator);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_TRUE(EnclaveGoneWithin(14, absl::Seconds(10)));
  EXPECT_TRUE(EnclaveGoneWithin(15, absl::Seconds(10)));
  EXPECT_TRUE(EnclaveExists(16)) << "a plain enclave outlives the file";
}

TEST_F(EphemeralTest, AnEphemeralEnclaveCanStillBeDestroyedFirst) {
  Fd ctl(open(kCtl.c_str(), O_WRONLY));
  ASSERT_GE(ctl.get(), 0);
  ASSERT_EQ(WriteFd(ctl.get(), "create 14 ephemeral"), 0);
  ASSERT_TRUE(WriteGhostfsFile(kCtl, "destroy 14").ok());
  // The id is free again, and a new plain enclave 14 is not the old one.
  ASSERT_TRUE(WriteGhostfsFile(kCtl, "create 14").ok());
  // A witness: the file's release destroys all its enclaves in one work
  // item, so once the witness is gone that work has run.
  ASSERT_EQ(WriteFd(ctl.get(), "create 15 ephemeral"), 0);
  ctl = Fd();
  ASSERT_TRUE(EnclaveGoneWithin(15, testing::kWaitLimit));
  EXPECT_TRUE(EnclaveExists(14));
}

TEST_F(EphemeralTest, AnUnknownCreateOptionIsInvalid) {
  for (const char* bad : {"create 14 ephemera", "create 14 ephemeral x",
                          "create 14 EPHEMERAL", "create ephemeral"}) {
    EXPECT_EQ(WriteGhostfsFile(kCtl, bad).code(), ErrnoCode(EINVAL)) << bad;
  }
  EXPECT_FALSE(EnclaveExists(14));
}

}  // namespace
}  // namespace ghost
