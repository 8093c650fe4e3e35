// The per-CPU FIFO's time slices, against the fake kernel: a CPU-bound
// thread makes way after its slice when another waits, and goes to the
// back; nobody waiting, it keeps the CPU and its ticks wake nobody.
//
// The fake kernel's agent rounds do not take the CPU from the running
// thread (the real kernel's do: the thread is PREEMPTED and resumes its
// turn), so these tests show both paths: Preempt() scripts the real one.
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "schedulers/fifo/percpu/percpu_fifo_scheduler.h"
#include "tests/host/fakes/fake_kernel.h"

namespace ghost::fifo {
namespace {

using ::ghost::testing::FakeKernel;

constexpr absl::Duration kSlice = absl::Milliseconds(4);

class PerCpuSlicingTest : public ::testing::Test {
 protected:
  explicit PerCpuSlicingTest(std::vector<int> cpus = {1})
      : kernel_(cpus),
        sched_(kernel_, cpus,
               {.queue_size = 256,
                .slice = kSlice,
                .clock = [this] { return now_; }}),
        cpus_(cpus) {}

  void SetUp() override {
    ASSERT_TRUE(StartOnFake(kernel_, sched_, cpus_).ok());
  }

  void Round(int cpu) {
    kernel_.SetCallerCpu(cpu);
    sched_.Round(cpu);
  }
  // `d` passes on the CPU's clock, a tick a millisecond, each followed by
  // the agent's round if the tick woke it (the barrier moved).
  void RunFor(int cpu, absl::Duration d) {
    for (absl::Duration t; t < d; t += absl::Milliseconds(1)) {
      now_ += absl::ToInt64Nanoseconds(absl::Milliseconds(1));
      const uint32_t before = AgentBarrier(cpu);
      kernel_.Tick(cpu);
      if (AgentBarrier(cpu) != before) Round(cpu);
    }
  }
  uint32_t AgentBarrier(int cpu) {
    return kernel_.words().Read(kernel_.agent_sw(cpu)).barrier;
  }

  int64_t now_ = 1000000000;
  FakeKernel kernel_;
  PerCpuFifoScheduler sched_;
  std::vector<int> cpus_;
};

TEST_F(PerCpuSlicingTest, TheAgentAsksForTicks) {
  EXPECT_TRUE(kernel_.ticks_enabled());
  EXPECT_NE(kernel_.cpu_channel(1), -1) << "CPU 1's messages have a queue";
}

TEST_F(PerCpuSlicingTest, ACpuBoundThreadMakesWayAfterItsSliceAndGoesBack) {
  const uint64_t a = kernel_.Spawn();
  const uint64_t b = kernel_.Spawn();
  Round(1);
  ASSERT_EQ(kernel_.cpu_of(a), 1);
  EXPECT_TRUE(sched_.ticks_wake(1)) << "b waits: ticks must wake the agent";
  RunFor(1, kSlice - absl::Milliseconds(1));
  EXPECT_EQ(kernel_.cpu_of(a), 1) << "within its slice";
  RunFor(1, absl::Milliseconds(1));
  EXPECT_EQ(kernel_.cpu_of(b), 1) << "a had its slice";
  Round(1);  // a's PREEMPTED
  EXPECT_TRUE(kernel_.runnable(a));
  EXPECT_EQ(sched_.queued(1), 1) << "a waits behind b";
  EXPECT_EQ(sched_.slices_ended(), 1u);
  RunFor(1, kSlice);
  EXPECT_EQ(kernel_.cpu_of(a), 1) << "b had its slice: a again";
  EXPECT_TRUE(kernel_.runnable(b));
}

TEST_F(PerCpuSlicingTest, NobodyWaitingTheThreadKeepsItsCpuAndTicksWakeNobody) {
  const uint64_t a = kernel_.Spawn();
  Round(1);
  ASSERT_EQ(kernel_.cpu_of(a), 1);
  const int latches = kernel_.latches();
  const uint32_t barrier = AgentBarrier(1);
  RunFor(1, 10 * kSlice);
  EXPECT_EQ(kernel_.cpu_of(a), 1);
  EXPECT_EQ(kernel_.latches(), latches) << "no commit at all";
  EXPECT_FALSE(sched_.ticks_wake(1));
  EXPECT_EQ(AgentBarrier(1), barrier) << "40 ticks, none woke the agent";
  EXPECT_GT(kernel_.ticks_sent(1), 0);
}

// The real kernel's path: every round of the agent takes the CPU from the
// thread for a moment (PREEMPTED); it resumes its turn, and only the end
// of the turn sends it back.
TEST_F(PerCpuSlicingTest, AThreadPreemptedForAMomentResumesItsTurn) {
  const uint64_t a = kernel_.Spawn();
  const uint64_t b = kernel_.Spawn();
  Round(1);
  ASSERT_EQ(kernel_.cpu_of(a), 1);
  for (int ms = 1; ms < 4; ++ms) {
    now_ += absl::ToInt64Nanoseconds(absl::Milliseconds(1));
    kernel_.Preempt(a);  // the agent woke on CPU 1 (a tick)
    Round(1);
    EXPECT_EQ(kernel_.cpu_of(a), 1) << "resumed at " << ms << " ms";
  }
  now_ += absl::ToInt64Nanoseconds(absl::Milliseconds(1));
  kernel_.Preempt(a);
  Round(1);
  EXPECT_EQ(kernel_.cpu_of(b), 1) << "a's turn is over";
  EXPECT_TRUE(kernel_.runnable(a));
}

TEST_F(PerCpuSlicingTest, TheTicksStopWakingTheAgentOnceNobodyWaits) {
  const uint64_t a = kernel_.Spawn();
  const uint64_t b = kernel_.Spawn();
  Round(1);
  ASSERT_TRUE(sched_.ticks_wake(1));
  kernel_.Exit(b);
  Round(1);
  EXPECT_EQ(kernel_.cpu_of(a), 1);
  EXPECT_FALSE(sched_.ticks_wake(1));
}

class PerCpuSlicingTwoCpusTest : public PerCpuSlicingTest {
 protected:
  PerCpuSlicingTwoCpusTest() : PerCpuSlicingTest({1, 2}) {}
};

// CPU 2's thread is CPU-bound with nothing queued behind it on CPU 2, but
// b waits on CPU 1 (whose own thread never blocks either): at the end of
// its slice CPU 2 runs b, so b does not wait for ever.
TEST_F(PerCpuSlicingTwoCpusTest,
       AThreadWaitingOnABusyCpuRunsWhenAnotherSliceEnds) {
  Round(1);
  Round(2);  // both agents asleep, idle
  const uint64_t a = kernel_.Spawn();
  Round(1);
  ASSERT_EQ(kernel_.cpu_of(a), 1);
  const uint64_t c = kernel_.Spawn();
  Round(1);                          // c waits on CPU 1 ...
  RunFor(1, absl::Milliseconds(1));  // ... for a tick: idle CPU 2 is pinged
  Round(2);
  ASSERT_EQ(kernel_.cpu_of(c), 2) << "stolen by the idle CPU";
  EXPECT_FALSE(sched_.ticks_wake(2)) << "nobody waits";
  const uint64_t b = kernel_.Spawn();
  Round(1);                          // b waits on CPU 1 ...
  RunFor(1, absl::Milliseconds(1));  // ... a tick long, and no CPU is idle
  EXPECT_TRUE(kernel_.runnable(b));
  EXPECT_TRUE(sched_.ticks_wake(2)) << "CPU 2's slices matter now";
  RunFor(2, kSlice);
  EXPECT_EQ(kernel_.cpu_of(b), 2);
  EXPECT_TRUE(kernel_.runnable(c));
}

// A parent on CPU 2 that keeps running (creating threads) while its
// children are queued behind it: CPU 2's ticks wake its agent, and after
// the help delay an idle CPU takes a child.
TEST_F(PerCpuSlicingTwoCpusTest, ChildrenOfAParentThatKeepsRunningGetACpu) {
  Round(1);
  Round(2);  // both agents asleep, idle
  const uint64_t parent = kernel_.Spawn();
  Round(1);
  const uint64_t other = kernel_.Spawn();
  Round(1);
  RunFor(1, absl::Milliseconds(1));  // CPU 2 is pinged and steals one
  Round(2);
  const uint64_t on2 = kernel_.running_gtid(2);
  ASSERT_TRUE(on2 == parent || on2 == other);
  RunFor(1, absl::Milliseconds(1));
  RunFor(2, absl::Milliseconds(1));  // nobody waits: CPU 2's ticks sleep
  ASSERT_FALSE(sched_.ticks_wake(2));
  const uint64_t child = kernel_.Fork(2);
  Round(1);  // the home CPU hears of it and queues it on CPU 2
  EXPECT_EQ(sched_.queued(2), 1);
  EXPECT_TRUE(sched_.ticks_wake(2)) << "CPU 2 must look again";
  kernel_.Block(kernel_.running_gtid(1));  // CPU 1 is free now
  Round(1);
  RunFor(2, absl::Milliseconds(2));  // a tick of CPU 2: a helper is pinged
  Round(1);
  EXPECT_EQ(kernel_.cpu_of(child), 1) << "CPU 1 took the waiting child";
}

}  // namespace
}  // namespace ghost::fifo
