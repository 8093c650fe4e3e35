// The centralized FIFO's time slices with its default options, against
// the fake kernel: CPU-bound threads take turns (none waits for ever), a
// thread alone keeps its CPU, and the global agent keeps watching the
// clock while threads wait instead of sleeping.
#include <set>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "schedulers/fifo/centralized/centralized_fifo_scheduler.h"
#include "tests/host/fakes/fake_kernel.h"

namespace ghost::fifo {
namespace {

using ::ghost::testing::FakeKernel;

class CentralizedSlicingTest : public ::testing::Test {
 protected:
  CentralizedSlicingTest()
      : kernel_({1, 2, 3}),
        sched_(kernel_, {1, 2, 3},
               {.queue_size = 256, .clock = [this] { return now_; }}) {}

  void SetUp() override {
    ASSERT_TRUE(StartOnFake(kernel_, sched_, std::vector<int>{1, 2, 3}).ok());
  }

  // The global agent's rounds while `d` passes, one every 100 us.
  void RunFor(absl::Duration d) {
    for (absl::Duration t; t < d; t += absl::Microseconds(100)) {
      now_ += absl::ToInt64Nanoseconds(absl::Microseconds(100));
      kernel_.SetCallerCpu(sched_.global_cpu());
      sched_.Round(sched_.global_cpu());
    }
  }

  int64_t now_ = 1000000000;
  FakeKernel kernel_;
  CentralizedFifoScheduler sched_;
};

TEST_F(CentralizedSlicingTest, SixCpuBoundThreadsOnThreeCpusAllTakeTurns) {
  std::vector<uint64_t> t;
  for (int i = 0; i < 6; ++i) t.push_back(kernel_.Spawn());
  std::set<uint64_t> ran;
  for (int ms = 0; ms < 40; ++ms) {
    RunFor(absl::Milliseconds(1));
    for (int cpu : {1, 2, 3}) ran.insert(kernel_.running_gtid(cpu));
  }
  for (uint64_t gtid : t) EXPECT_TRUE(ran.count(gtid)) << gtid << " never ran";
  EXPECT_GT(sched_.slices_ended(), 6u);
}

TEST_F(CentralizedSlicingTest, AThreadPastItsSliceGoesBehindTheWaitingOnes) {
  std::vector<uint64_t> t;
  for (int i = 0; i < 4; ++i) t.push_back(kernel_.Spawn());
  RunFor(absl::Microseconds(100));
  ASSERT_EQ(kernel_.running_gtid(2), t[0]);
  ASSERT_EQ(kernel_.running_gtid(3), t[1]);
  ASSERT_EQ(kernel_.running_gtid(1), t[2]) << "lent: the others are busy";
  // The three slices end together: t[3] takes CPU 2, then t[0], at the
  // back behind nobody, takes CPU 3, t[1] the global CPU, and t[2] waits.
  RunFor(kDefaultSlice + absl::Microseconds(300));
  EXPECT_EQ(kernel_.running_gtid(2), t[3]);
  EXPECT_EQ(kernel_.running_gtid(3), t[0]);
  EXPECT_EQ(kernel_.running_gtid(1), t[1]);
  EXPECT_TRUE(kernel_.runnable(t[2]));
  EXPECT_EQ(sched_.queued(), 1u);
}

TEST_F(CentralizedSlicingTest, AThreadAloneKeepsItsCpu) {
  const uint64_t a = kernel_.Spawn();
  RunFor(absl::Microseconds(100));
  const int cpu = kernel_.cpu_of(a);
  ASSERT_NE(cpu, -1);
  const int latches = kernel_.latches();
  RunFor(10 * kDefaultSlice);
  EXPECT_EQ(kernel_.cpu_of(a), cpu);
  EXPECT_EQ(kernel_.latches(), latches);
}

TEST_F(CentralizedSlicingTest, TheGlobalAgentAsksForItsOwnCpusTicksOnly) {
  EXPECT_TRUE(kernel_.ticks_enabled());
  EXPECT_NE(kernel_.cpu_channel(1), -1);
  EXPECT_EQ(kernel_.cpu_channel(2), -1) << "no CPU messages from CPU 2";
  EXPECT_EQ(kernel_.cpu_channel(3), -1);
}

// Three threads, two other CPUs: the third runs on the global agent's own
// CPU, which blocks in that commit; a tick of its CPU wakes it.
TEST_F(CentralizedSlicingTest, WithEveryOtherCpuBusyTheGlobalCpuRunsAThread) {
  std::vector<uint64_t> t;
  for (int i = 0; i < 3; ++i) t.push_back(kernel_.Spawn());
  RunFor(absl::Microseconds(100));
  EXPECT_EQ(kernel_.running_gtid(1), t[2]);
  EXPECT_EQ(sched_.lent(), 1u);
  const uint32_t barrier = kernel_.words().Read(kernel_.agent_sw(1)).barrier;
  kernel_.Tick(1);
  EXPECT_NE(kernel_.words().Read(kernel_.agent_sw(1)).barrier, barrier)
      << "the tick wakes the global agent";
}

// The block after the lend was refused (a message came between the latch
// and the block): the thread lent the global CPU has not run, and runs only
// once the agent blocks. A stream of its own commits' messages must not
// keep the agent from blocking (Shinjuku, on the same base, left such a
// thread unrun for 11 s in the VM).
TEST_F(CentralizedSlicingTest, ALentThreadWhoseBlockWasRefusedRunsWhileOthersTakeTurns) {
  std::vector<uint64_t> t;
  for (int i = 0; i < 6; ++i) t.push_back(kernel_.Spawn());
  kernel_.set_before_block(
      [](FakeKernel& k, void* arg) { k.Yield(*static_cast<uint64_t*>(arg)); },
      &t[0]);
  RunFor(absl::Microseconds(100));
  kernel_.set_before_block(nullptr, nullptr);
  const uint64_t lent = kernel_.held_gtid(1);
  ASSERT_NE(lent, 0u) << "the block was refused: the lent thread waits";
  // Slices end on the other CPUs, whose commits queue PREEMPTEDs.
  for (int i = 0; i < 100 && kernel_.running_gtid(1) != lent; ++i) {
    RunFor(absl::Microseconds(100));
  }
  EXPECT_EQ(kernel_.running_gtid(1), lent)
      << "the global agent never blocked for the thread latched on its CPU";
}

// Sleeping with its CPU idle, it would see no tick, so no slice end.
TEST_F(CentralizedSlicingTest, WhileThreadsWaitItSleepsOnlyLendingItsCpu) {
  for (int i = 0; i < 5; ++i) kernel_.Spawn();
  for (int i = 0; i < 30; ++i) {  // 15 times the idle spin
    const int blocks = kernel_.blocks();
    RunFor(absl::Microseconds(100));
    if (kernel_.blocks() > blocks) {
      EXPECT_NE(kernel_.running_gtid(1), 0u) << "asleep with its CPU idle";
    }
  }
  EXPECT_GT(sched_.lent(), 0u);
}

TEST_F(CentralizedSlicingTest, WithALendDelayAMomentsBacklogWaits) {
  FakeKernel kernel({1, 2, 3});
  int64_t now = 1000000000;
  CentralizedFifoScheduler sched(kernel, {1, 2, 3},
                                 {.lend_delay = absl::Milliseconds(1),
                                  .queue_size = 64,
                                  .clock = [&now] { return now; }});
  ASSERT_TRUE(StartOnFake(kernel, sched, std::vector<int>{1, 2, 3}).ok());
  for (int i = 0; i < 3; ++i) kernel.Spawn();
  kernel.SetCallerCpu(1);
  sched.Round(1);
  EXPECT_EQ(kernel.running_gtid(1), 0u) << "waited 0 ms";
  now += absl::ToInt64Nanoseconds(absl::Milliseconds(1));
  sched.Round(1);
  EXPECT_NE(kernel.running_gtid(1), 0u) << "waited 1 ms";
}

// A CPU that was global and was busy when the role left it gets no
// CPU_AVAILABLE any more (its messages go nowhere now): it must not stay
// "busy" for ever, or after a few hand-offs no CPU takes threads.
TEST_F(CentralizedSlicingTest, AFormerGlobalCpuTakesThreadsAgain) {
  ghost_msg busy{.type = GHOST_MSG_CPU_BUSY, .cpu = 1};
  sched_.Dispatch(busy, 1);  // a kworker took the global CPU 1 for a moment
  ASSERT_EQ(sched_.HandOffGlobalRole(), 2);
  for (int i = 0; i < 2; ++i) kernel_.Spawn();
  RunFor(absl::Microseconds(100));
  EXPECT_NE(kernel_.running_gtid(1), 0u)
      << "the former global CPU 1 runs a thread";
  EXPECT_NE(kernel_.running_gtid(3), 0u);
}

TEST_F(CentralizedSlicingTest, AnIdleGlobalAgentStillSleeps) {
  const uint64_t a = kernel_.Spawn();
  RunFor(absl::Milliseconds(1));
  ASSERT_NE(kernel_.cpu_of(a), -1);
  EXPECT_GT(kernel_.blocks(), 0) << "nothing waits: it may sleep";
}

}  // namespace
}  // namespace ghost::fifo
