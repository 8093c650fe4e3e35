// Permission errors name what the kernel asks for (lib/abi/privilege.h).
#include "lib/abi/privilege.h"

#include <cerrno>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/uapi/linux/ghost.h"

namespace ghost {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(RequireEnclaveControl, RootWithCapSysNiceMay) {
  EXPECT_TRUE(RequireEnclaveControl("creating an enclave",
                                    {.euid = 0, .cap_sys_nice = true})
                  .ok());
}

TEST(RequireEnclaveControl, AnotherUserIsToldToBeRootAndWhoItIs) {
  absl::Status s = RequireEnclaveControl("creating an enclave", {.euid = 1000});
  EXPECT_TRUE(absl::IsPermissionDenied(s));
  EXPECT_EQ(s.message(),
            "creating an enclave needs root with CAP_SYS_NICE; this process "
            "runs as uid 1000 without CAP_SYS_NICE: run it as root");
}

TEST(RequireEnclaveControl, RootWithoutCapSysNiceIsToldTheCapability) {
  absl::Status s = RequireEnclaveControl("changing an enclave's CPUs",
                                         {.euid = 0, .cap_sys_nice = false});
  EXPECT_TRUE(absl::IsPermissionDenied(s));
  EXPECT_THAT(s.message(), HasSubstr("has no CAP_SYS_NICE"));
  EXPECT_THAT(s.message(), Not(HasSubstr("uid")));
}

TEST(RequireEnclaveControl, CapDacOverrideStandsInForRoot) {
  EXPECT_TRUE(
      RequireEnclaveControl(
          "x", {.euid = 1000, .cap_dac_override = true, .cap_sys_nice = true})
          .ok());
}

TEST(GhostfsPermissionHint, ControlFilesNeedRootWithCapSysNice) {
  for (const char* path :
       {"/sys/fs/ghost/ctl", "/sys/fs/ghost/enclave_2/ctl",
        "/sys/fs/ghost/enclave_2/cpulist", "/sys/fs/ghost/enclave_2/cpu_data",
        "/sys/fs/ghost/enclave_2/sw_regions/sw_0",
        "/sys/fs/ghost/enclave_2/runnable_timeout",
        "/sys/fs/ghost/enclave_2/deliver_ticks"}) {
    EXPECT_THAT(GhostfsPermissionHint(path, EACCES),
                HasSubstr("needs root with CAP_SYS_NICE"))
        << path;
    EXPECT_THAT(GhostfsPermissionHint(path, EPERM),
                HasSubstr("needs root with CAP_SYS_NICE"))
        << path;
  }
}

TEST(GhostfsPermissionHint, TheTasksFileNeedsTheRightsOverTheThread) {
  EXPECT_THAT(GhostfsPermissionHint("/sys/fs/ghost/enclave_2/tasks", EPERM),
              HasSubstr("the same user or CAP_SYS_NICE"));
}

TEST(GhostfsPermissionHint, TheTasksFileIsRootsUnlessDelegated) {
  EXPECT_THAT(GhostfsPermissionHint("/sys/fs/ghost/enclave_2/tasks", EACCES),
              HasSubstr("delegated it with chown"));
}

TEST(GhostfsPermissionHint, OtherErrorsAndFilesGetNoHint) {
  EXPECT_EQ(GhostfsPermissionHint("/sys/fs/ghost/ctl", EINVAL), "");
  EXPECT_EQ(GhostfsPermissionHint("/sys/fs/ghost/enclave_2/status", EACCES),
            "");
  EXPECT_EQ(GhostfsPermissionHint("/proc/12/status", EACCES), "");
}

TEST(GhostRunPermissionHint, CommitNeedsAnAgentOtherOpsCapSysNice) {
  EXPECT_THAT(GhostRunPermissionHint(GHOST_OP_COMMIT, EPERM),
              HasSubstr("only an agent"));
  EXPECT_THAT(GhostRunPermissionHint(GHOST_OP_AGENT_ATTACH, EPERM),
              HasSubstr("CAP_SYS_NICE"));
  EXPECT_EQ(GhostRunPermissionHint(GHOST_OP_AGENT_ATTACH, EINVAL), "");
}

}  // namespace
}  // namespace ghost
