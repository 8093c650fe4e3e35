// Which kernel log lines fail a VM test case (tests/vm/kernel_log_watch.h).
#include "tests/vm/kernel_log_watch.h"

#include "gtest/gtest.h"

namespace ghost::testing {
namespace {

TEST(KernelLogWatchTest, ReportsOfEveryKindAreRecognised) {
  for (const char* line : {
           "BUG: KASAN: slab-use-after-free in __lock_acquire+0x1/0x2",
           "WARNING: CPU: 1 PID: 7 at kernel/sched/ghost.c:10 f+0x1/0x2",
           "WARNING: possible circular locking dependency detected",
           "WARNING: suspicious RCU usage",
           "INFO: task make:123 blocked for more than 30 seconds.",
           "rcu: INFO: rcu_preempt self-detected stall on CPU",
           "watchdog: BUG: soft lockup - CPU#1 stuck for 22s!",
           "BUG: sleeping function called from invalid context at x.c:1",
           "Oops: general protection fault, probably for address 0x0",
           "Kernel panic - not syncing: Fatal exception",
           " Call Trace:",
       }) {
    EXPECT_TRUE(IsKernelReport(line)) << line;
  }
}

TEST(KernelLogWatchTest, OrdinaryLinesAreNot) {
  for (const char* line : {
           "ghost: enclave 3 destroyed: destroyed through its ctl file",
           "ghost: CPU 2 went offline and left enclave 1",
           "smpboot: CPU 2 is now offline",
           "random: crng init done",
       }) {
    EXPECT_FALSE(IsKernelReport(line)) << line;
  }
}

}  // namespace
}  // namespace ghost::testing
