// The centralized FIFO policy's decisions on scripted event streams,
// against the in-process fake kernel.
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/util/cpu_set.h"
#include "schedulers/fifo/centralized/centralized_fifo_scheduler.h"
#include "tests/host/fake_sysfs.h"
#include "tests/host/fakes/fake_kernel.h"

namespace ghost::fifo {
namespace {

using ::ghost::testing::FakeKernel;

int64_t fake_now = 0;

class CentralizedFifoTest : public ::testing::Test {
 protected:
  explicit CentralizedFifoTest(CentralizedFifoScheduler::Options options = {})
      : kernel_({0, 1, 2, 3}),
        sched_(kernel_, {0, 1, 2, 3}, WithFakeClock(std::move(options))) {}

  static CentralizedFifoScheduler::Options WithFakeClock(
      CentralizedFifoScheduler::Options o) {
    o.clock = [] { return fake_now; };
    o.queue_size = 256;
    // These cases are about the other CPUs: the global CPU is never lent
    // here (centralized_slicing_test.cc lends it).
    o.lend_delay = absl::InfiniteDuration();
    return o;
  }

  void SetUp() override {
    fake_now = 0;
    ASSERT_TRUE(
        StartOnFake(kernel_, sched_, std::vector<int>{0, 1, 2, 3}).ok());
  }

  void GlobalRound() {
    const int cpu = sched_.global_cpu();
    kernel_.SetCallerCpu(cpu);
    sched_.Round(cpu);
  }

  FakeKernel kernel_;
  CentralizedFifoScheduler sched_;
};

TEST_F(CentralizedFifoTest, OneCommitFillsEveryFreeCpu) {
  const uint64_t a = kernel_.Spawn(), b = kernel_.Spawn(), c = kernel_.Spawn();
  const int calls = kernel_.commit_calls();
  GlobalRound();
  EXPECT_EQ(kernel_.commit_calls(), calls + 1);
  EXPECT_EQ(kernel_.last_commit_size(), 3);
  EXPECT_EQ(kernel_.cpu_of(a), 1);
  EXPECT_EQ(kernel_.cpu_of(b), 2);
  EXPECT_EQ(kernel_.cpu_of(c), 3);
}

TEST_F(CentralizedFifoTest, TheGlobalCpuRunsNoThread) {
  for (int i = 0; i < 5; ++i) kernel_.Spawn();
  GlobalRound();
  EXPECT_EQ(kernel_.running_gtid(0), 0u);
  EXPECT_EQ(sched_.queued(), 2u);
}

TEST_F(CentralizedFifoTest, ACpuFreedByABlockRunsTheNextThread) {
  std::vector<uint64_t> t;
  for (int i = 0; i < 4; ++i) t.push_back(kernel_.Spawn());
  GlobalRound();
  const uint64_t on2 = kernel_.running_gtid(2);
  kernel_.Block(on2);
  GlobalRound();
  EXPECT_EQ(kernel_.running_gtid(2), t[3]);
  EXPECT_EQ(sched_.current_on(2), t[3]);
  kernel_.Wake(on2);
  GlobalRound();
  EXPECT_EQ(sched_.queued(), 1u) << "every CPU is busy: it waits";
}

TEST_F(CentralizedFifoTest, AnIdleGlobalAgentBlocksAfterItsSpin) {
  GlobalRound();
  const int blocks = kernel_.blocks();
  fake_now += absl::ToInt64Nanoseconds(absl::Milliseconds(1));
  GlobalRound();
  EXPECT_EQ(kernel_.blocks(), blocks + 1);
}

TEST_F(CentralizedFifoTest, InactiveAgentsSleep) {
  const int blocks = kernel_.blocks();
  kernel_.SetCallerCpu(2);
  sched_.Round(2);
  EXPECT_EQ(kernel_.blocks(), blocks + 1);
}

TEST_F(CentralizedFifoTest, EveryAgentFindsItselfDetachedOnceTheEnclaveIsGone) {
  kernel_.Spawn();  // the global agent commits it; the others block
  kernel_.Destroy("destroyed through its ctl file");
  for (int cpu : {0, 1, 2, 3}) {
    kernel_.SetCallerCpu(cpu);
    sched_.Round(cpu);
    EXPECT_TRUE(kernel_.CallerDetached()) << "the agent of CPU " << cpu;
  }
}

TEST_F(CentralizedFifoTest, TheRoleMovesAndTheOldCpuGetsWork) {
  for (int i = 0; i < 4; ++i) kernel_.Spawn();
  GlobalRound();
  const int to = sched_.HandOffGlobalRole();
  EXPECT_EQ(to, 1);
  EXPECT_EQ(sched_.global_cpu(), 1);
  EXPECT_EQ(kernel_.pings(1), 1);
  // The thread on CPU 1 is preempted by the agent that now runs there.
  kernel_.Preempt(kernel_.running_gtid(1));
  GlobalRound();
  EXPECT_NE(kernel_.running_gtid(0), 0u) << "CPU 0 is an ordinary CPU now";
  EXPECT_EQ(kernel_.running_gtid(1), 0u);
}

// A thread refused by a CPU numbered past any 64-bit mask is not tried
// there again until its affinity changes (a 64-bit mask answered "allowed"
// for every CPU >= 64, and the agent retried the refused CPU forever).
class CentralizedFarCpuTest : public ::testing::TestWithParam<int> {
 protected:
  CentralizedFarCpuTest()
      : far_(GetParam()),
        kernel_({0, 1, far_}),
        // The global CPU 0 is not lent (the refusals counted are far_'s),
        // and no time passes (no slice ends, however slow the host).
        sched_(kernel_, {0, 1, far_},
               {.lend_delay = absl::InfiniteDuration(),
                .queue_size = 256,
                .clock = [] { return int64_t{1}; }}) {}

  void SetUp() override {
    ASSERT_TRUE(
        StartOnFake(kernel_, sched_, std::vector<int>{0, 1, far_}).ok());
    kernel_.SetCallerCpu(0);
  }

  uint64_t refusals() const {
    return sched_.txns().by_result[GHOST_TXN_CPU_NOT_ALLOWED].load();
  }

  const int far_;
  FakeKernel kernel_;
  CentralizedFifoScheduler sched_;
};

TEST_P(CentralizedFarCpuTest, ARefusedCpuIsNotTriedAgainUntilAffinityChanges) {
  const uint64_t busy = kernel_.Spawn();
  sched_.Round(0);
  ASSERT_EQ(kernel_.cpu_of(busy), 1);
  const uint64_t picky = kernel_.Spawn(/*runnable=*/false);
  kernel_.SetAllowedCpus(picky, CpuSet::Of({1}));
  kernel_.Wake(picky);
  sched_.Round(0);  // CPU 1 is busy: it tries the far CPU, refused
  EXPECT_EQ(refusals(), 1u);
  for (int i = 0; i < 5; ++i) sched_.Round(0);
  EXPECT_EQ(refusals(), 1u) << "CPU " << far_ << " was tried again";
  EXPECT_EQ(kernel_.cpu_of(picky), -1);
  kernel_.Block(busy);
  sched_.Round(0);
  EXPECT_EQ(kernel_.cpu_of(picky), 1) << "it runs where it may";
  // Its affinity now allows the far CPU: the refusal is forgotten.
  kernel_.Block(picky);
  kernel_.Wake(busy);
  sched_.Round(0);  // busy takes CPU 1 again
  kernel_.SetAllowedCpus(picky, CpuSet::Of({far_}));
  kernel_.Wake(picky);
  sched_.Round(0);
  EXPECT_EQ(kernel_.cpu_of(picky), far_);
  EXPECT_EQ(refusals(), 1u);
}

INSTANTIATE_TEST_SUITE_P(PastSixtyFourAndPastAThousand, CentralizedFarCpuTest,
                         ::testing::Values(70, 1100));

class CentralizedSliceTest : public CentralizedFifoTest {
 protected:
  CentralizedSliceTest()
      : CentralizedFifoTest({.slice = absl::Milliseconds(2)}) {}
};

TEST_F(CentralizedSliceTest, AThreadPastItsSliceMakesWayForAWaitingOne) {
  std::vector<uint64_t> t;
  for (int i = 0; i < 4; ++i) t.push_back(kernel_.Spawn());
  GlobalRound();
  ASSERT_EQ(kernel_.running_gtid(1), t[0]);
  fake_now += absl::ToInt64Nanoseconds(absl::Milliseconds(1));
  GlobalRound();
  EXPECT_EQ(kernel_.running_gtid(1), t[0]) << "within its slice";
  fake_now += absl::ToInt64Nanoseconds(absl::Milliseconds(2));
  GlobalRound();
  EXPECT_EQ(kernel_.running_gtid(1), t[3]);
  // t[0]'s PREEMPTED puts it at the back; t[1] on CPU 2 is past its
  // slice too, so t[0] takes its turn there.
  GlobalRound();
  EXPECT_EQ(kernel_.running_gtid(2), t[0]);
  EXPECT_EQ(kernel_.running_gtid(1), t[3]) << "t[3] is within its slice";
}

TEST_F(CentralizedSliceTest, TheAgentSpinsWhileThreadsWaitForASlice) {
  for (int i = 0; i < 4; ++i) kernel_.Spawn();
  GlobalRound();
  const int blocks = kernel_.blocks();
  fake_now += absl::ToInt64Nanoseconds(absl::Milliseconds(1));
  GlobalRound();
  EXPECT_EQ(kernel_.blocks(), blocks) << "no message ends a slice";
}

// The role goes to the SMT sibling first (fake sysfs: cores {0,2} {1,3}).
class CentralizedTopologyTest : public ::testing::Test {};

TEST_F(CentralizedTopologyTest, TheRoleMovesToTheSmtSibling) {
  const std::string root = ghost::testing::FakeSysfsRoot("topo_sibling");
  ghost::testing::WriteSysfsFile(root + "/devices/system/cpu/online", "0-3\n");
  for (int c = 0; c < 4; ++c) {
    ghost::testing::WriteSysfsFile(
        absl::StrCat(root, "/devices/system/cpu/cpu", c,
                     "/topology/thread_siblings_list"),
        c % 2 == 0 ? "0,2\n" : "1,3\n");
  }
  absl::StatusOr<Topology> topo = Topology::FromSysfs(root);
  ASSERT_TRUE(topo.ok()) << topo.status();
  FakeKernel kernel({0, 1, 2, 3});
  CentralizedFifoScheduler sched(kernel, {0, 1, 2, 3},
                                 {.topology = &*topo, .queue_size = 64});
  ASSERT_TRUE(sched.Init().ok());
  EXPECT_EQ(sched.HandOffGlobalRole(), 2);
}

// Two nodes, {0,1,2} and {3,4,5}; the global agent on CPU 0.
TEST_F(CentralizedTopologyTest, AThreadGoesToAFreeCpuOfTheNodeItLastRanOn) {
  absl::StatusOr<Topology> topo = Topology::FromSysfs(
      ghost::testing::FakeNumaSysfs("two_nodes", 6, {"0-2", "3-5"}));
  ASSERT_TRUE(topo.ok()) << topo.status();
  const std::vector<int> cpus = {0, 1, 2, 3, 4, 5};
  FakeKernel kernel(cpus);
  CentralizedFifoScheduler sched(kernel, cpus,
                                 {.topology = &*topo, .queue_size = 64});
  ASSERT_TRUE(StartOnFake(kernel, sched, cpus).ok());
  kernel.SetCallerCpu(0);
  // Last seen on CPU 4 (node 1) and on CPU 2 (node 0), before entering.
  const uint64_t far = kernel.Spawn(/*runnable=*/true, false, /*cpu=*/4);
  const uint64_t near = kernel.Spawn(/*runnable=*/true, false, /*cpu=*/2);
  const uint64_t anywhere = kernel.Spawn();
  sched.Round(0);
  EXPECT_EQ(kernel.cpu_of(far), 3) << "the first free CPU of node 1";
  EXPECT_EQ(kernel.cpu_of(near), 1) << "the first free CPU of node 0";
  EXPECT_EQ(kernel.cpu_of(anywhere), 2) << "no last CPU: the first free";
  // It blocks on CPU 3; when it wakes, node 1 has CPU 3 free again.
  kernel.Block(far);
  kernel.Wake(far);
  sched.Round(0);
  EXPECT_EQ(kernel.cpu_of(far), 3);
}

}  // namespace
}  // namespace ghost::fifo
