// The per-CPU FIFO policy's decisions on scripted event streams, against
// the in-process fake kernel. The real kernel: tests/vm/agent_fifo_test.cc.
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/runtime/census.h"
#include "lib/util/cpu_set.h"
#include "schedulers/fifo/percpu/percpu_fifo_scheduler.h"
#include "tests/host/fakes/fake_kernel.h"
#include "tests/host/fakes/settle_agents.h"

namespace ghost::fifo {
namespace {

using ::ghost::testing::FakeKernel;

class PerCpuFifoTest : public ::testing::Test {
 protected:
  explicit PerCpuFifoTest(std::vector<int> cpus = {1, 2, 3},
                          uint32_t queue_size = 256)
      : kernel_(cpus),
        sched_(kernel_, cpus,
               {.queue_size = queue_size, .clock = [this] { return now_; }}),
        cpus_(cpus) {}

  void SetUp() override { Start(); }

  void Start() { ASSERT_TRUE(StartOnFake(kernel_, sched_, cpus_).ok()); }

  void Round(int cpu) {
    kernel_.SetCallerCpu(cpu);
    sched_.Round(cpu);
  }
  void RoundAll(int times = 1) {
    for (int i = 0; i < times; ++i) {
      for (int cpu : cpus_) Round(cpu);
    }
  }

  void Advance(absl::Duration d) { now_ += absl::ToInt64Nanoseconds(d); }

  // As real agents do: every agent that something woke runs its rounds,
  // taking its CPU from the thread running there, until all sleep again.
  void Settle() {
    if (!testing::SettleAgents(kernel_, cpus_,
                               [this](int cpu) { Round(cpu); })) {
      ADD_FAILURE() << "the agents never went to sleep";
    }
  }

  int64_t now_ = 1000000000;
  FakeKernel kernel_;
  PerCpuFifoScheduler sched_;
  std::vector<int> cpus_;
};

TEST_F(PerCpuFifoTest, ANewRunnableThreadRunsOnTheHomeCpu) {
  const uint64_t t = kernel_.Spawn();
  Round(1);
  EXPECT_EQ(kernel_.cpu_of(t), 1);
  EXPECT_EQ(sched_.txns().completed(), 1u);
}

TEST_F(PerCpuFifoTest, EveryAgentFindsItselfDetachedOnceTheEnclaveIsGone) {
  kernel_.Spawn();  // CPU 1 commits it; the others block
  kernel_.Destroy("destroyed through its ctl file");
  RoundAll();
  for (int cpu : cpus_) {
    kernel_.SetCallerCpu(cpu);
    EXPECT_TRUE(kernel_.CallerDetached()) << "the agent of CPU " << cpu;
  }
}

TEST_F(PerCpuFifoTest, ABlockedThreadWaitsForItsWakeup) {
  const uint64_t t = kernel_.Spawn(/*runnable=*/false);
  RoundAll();
  EXPECT_EQ(kernel_.cpu_of(t), -1);
  kernel_.Wake(t);
  RoundAll();
  EXPECT_NE(kernel_.cpu_of(t), -1);
}

TEST_F(PerCpuFifoTest, AThreadWokenBehindItsWakerRunsHereWhenTheWakerBlocks) {
  RoundAll();  // every agent goes to sleep idle
  const uint64_t a = kernel_.Spawn();
  Round(1);
  const uint64_t b = kernel_.Spawn(/*runnable=*/false);
  Round(1);
  kernel_.Wake(b);  // a wakes b (a pipe write) ...
  Round(1);
  kernel_.Block(a);  // ... and waits for the reply
  Round(1);
  EXPECT_EQ(kernel_.cpu_of(b), 1) << "no cross-CPU hand-off";
  EXPECT_EQ(kernel_.pings(2) + kernel_.pings(3), 0);
  EXPECT_EQ(sched_.steals(), 0u);
}

TEST_F(PerCpuFifoTest, AForkedChildRunsOnItsParentsCpuWhenTheParentWaits) {
  RoundAll();  // every agent goes to sleep idle
  const uint64_t parent = kernel_.Spawn();
  Round(1);
  const uint64_t other = kernel_.Spawn();
  Round(1);
  Advance(absl::Milliseconds(1));
  kernel_.Tick(1);
  Round(1);
  Round(2);  // the parent (or the other thread) moved to CPU 2
  Round(3);
  const uint64_t on2 = kernel_.running_gtid(2);
  ASSERT_TRUE(on2 == parent || on2 == other);
  const uint64_t child = kernel_.Fork(2);  // NEW comes to the home CPU 1
  Round(1);
  EXPECT_EQ(sched_.queued(2), 1) << "the child waits on its parent's CPU";
  kernel_.Block(on2);  // the parent waits for its child
  Round(2);
  EXPECT_EQ(kernel_.cpu_of(child), 2);
  // Its messages come to CPU 2 now.
  kernel_.Block(child);
  Round(2);
  EXPECT_FALSE(kernel_.runnable(child));
  EXPECT_EQ(kernel_.running_gtid(2), 0u);
}

// Every CPU is busy when b arrives, so it waits on CPU 1; once CPU 2 has
// nothing to run, it takes b.
TEST_F(PerCpuFifoTest, AnIdleCpuStealsWhatTheBusyOneCannotRun) {
  RoundAll();  // every agent goes to sleep idle
  std::vector<uint64_t> busy;
  for (int i = 0; i < 3; ++i) {
    busy.push_back(kernel_.Spawn());
    RoundAll();
  }
  for (int cpu : cpus_) ASSERT_NE(kernel_.running_gtid(cpu), 0u);
  const uint64_t b = kernel_.Spawn();
  Round(1);
  ASSERT_EQ(sched_.queued(1), 1) << "no CPU has fewer threads";
  const uint64_t steals = sched_.steals();
  const uint64_t on2 = kernel_.running_gtid(2);
  kernel_.Block(on2);
  Round(2);
  EXPECT_EQ(kernel_.cpu_of(b), 2);
  EXPECT_EQ(sched_.steals(), steals + 1);
  // b's messages now go to CPU 2's queue: its block is seen there.
  kernel_.Block(b);
  Round(2);
  kernel_.Wake(b);
  Round(2);
  EXPECT_EQ(kernel_.cpu_of(b), 2);
}

// The agents of CPUs 2 and 3 have not run yet (not idle, as many threads
// as CPU 1 would have): b waits behind a on CPU 1.
TEST_F(PerCpuFifoTest, AYieldingThreadGoesBehindTheOthers) {
  const uint64_t a = kernel_.Spawn();
  const uint64_t b = kernel_.Spawn();
  Round(1);
  ASSERT_EQ(kernel_.cpu_of(a), 1);
  kernel_.Yield(a);
  Round(1);
  EXPECT_EQ(kernel_.cpu_of(b), 1);
  EXPECT_TRUE(kernel_.runnable(a));
  kernel_.Block(b);
  Round(1);
  EXPECT_EQ(kernel_.cpu_of(a), 1);
}

TEST_F(PerCpuFifoTest, APreemptedThreadResumesFirst) {
  const uint64_t a = kernel_.Spawn();
  const uint64_t b = kernel_.Spawn();
  Round(1);
  kernel_.Preempt(a);  // a higher class took CPU 1
  Round(1);
  EXPECT_EQ(kernel_.cpu_of(a), 1);
  EXPECT_TRUE(kernel_.runnable(b));
}

// A thread that arrives where another one already waits goes to an idle
// CPU at once (its agent is pinged), not after a help delay or a steal.
TEST_F(PerCpuFifoTest, AThreadArrivingBehindAWaitingOneGoesToAnIdleCpu) {
  RoundAll();  // every agent goes to sleep idle
  const uint64_t a = kernel_.Spawn();
  const uint64_t b = kernel_.Spawn();
  Round(1);  // a runs on 1; b would wait behind it
  EXPECT_EQ(kernel_.cpu_of(a), 1);
  EXPECT_EQ(sched_.queued(1), 0);
  EXPECT_EQ(kernel_.pings(2) + kernel_.pings(3), 1);
  RoundAll();
  EXPECT_NE(kernel_.cpu_of(b), -1);
  EXPECT_NE(kernel_.cpu_of(b), 1);
  EXPECT_EQ(sched_.steals(), 0u);
  EXPECT_EQ(sched_.placed_elsewhere(), 1u);
  Policy::Counters counters;
  sched_.AddCounters(counters);
  EXPECT_THAT(counters, ::testing::Contains(::testing::Pair(
                            "placed_elsewhere", uint64_t{1})));
}

// CPU 1 is held by a thread that never blocks, with b queued behind it;
// CPU 2 cycles a yielding thread of its own. Without comparing ages CPU 2
// would never look at CPU 1's queue, and b would wait forever.
TEST_F(PerCpuFifoTest, AThreadBehindAHogRunsOnACpuThatCyclesItsOwn) {
  const uint64_t hog = kernel_.Spawn();
  Round(1);
  ASSERT_EQ(kernel_.cpu_of(hog), 1);
  const uint64_t d = kernel_.Spawn();
  Round(1);  // d waits on CPU 1 (busy)...
  Round(2);  // ...and CPU 2, with nothing of its own, steals it
  ASSERT_EQ(kernel_.cpu_of(d), 2);
  const uint64_t b = kernel_.Spawn();
  Round(1);  // b waits on CPU 1, which is busy
  ASSERT_EQ(kernel_.cpu_of(hog), 1);
  kernel_.Yield(d);
  Round(2);  // d is younger than b by less than steal_age: d again
  EXPECT_EQ(kernel_.cpu_of(d), 2);
  Advance(absl::Milliseconds(5));
  kernel_.Yield(d);
  Round(2);  // b has waited 5 ms longer than d: b first
  EXPECT_EQ(kernel_.cpu_of(b), 2);
  EXPECT_TRUE(kernel_.runnable(d));
  kernel_.Block(b);
  Round(2);
  EXPECT_EQ(kernel_.cpu_of(d), 2) << "d was kept at the front";
  EXPECT_EQ(kernel_.cpu_of(hog), 1);
}

TEST_F(PerCpuFifoTest, AnExitedThreadIsForgottenAndItsWordFreed) {
  const uint64_t a = kernel_.Spawn();
  Round(1);
  kernel_.Exit(a);
  Round(1);
  EXPECT_TRUE(kernel_.freed(a));
  EXPECT_EQ(sched_.tasks().live(), 0);
}

TEST_F(PerCpuFifoTest, AThreadNotAllowedOnItsHomeCpuRunsElsewhere) {
  const uint64_t a = kernel_.Spawn(/*runnable=*/false);
  kernel_.SetAllowed(a, uint64_t{1} << 3);
  kernel_.Wake(a);
  Round(1);
  EXPECT_EQ(kernel_.cpu_of(a), -1);
  EXPECT_EQ(sched_.txns().by_result[GHOST_TXN_CPU_NOT_ALLOWED].load(), 1u);
  Round(2);
  EXPECT_EQ(kernel_.cpu_of(a), -1) << "CPU 2 is not allowed either";
  Round(3);
  EXPECT_EQ(kernel_.cpu_of(a), 3);
}

// The kernel blocks an agent in a commit with GHOST_COMMIT_F_BLOCK even if
// the commit is refused. Refused CPU_NOT_ALLOWED, no message follows: had
// the agent slept there, the thread (off every queue meanwhile) and the
// idle agents of the CPUs it may run on would wait for an unrelated event.
TEST_F(PerCpuFifoTest, AThreadRefusedByItsCpuIsNotLeftWithEveryAgentAsleep) {
  Settle();  // every agent goes to sleep idle
  const uint64_t a = kernel_.Spawn(/*runnable=*/false);
  kernel_.SetAllowed(a, uint64_t{1} << 3);
  kernel_.Wake(a);
  Settle();
  EXPECT_EQ(kernel_.cpu_of(a), 3);
  EXPECT_GE(sched_.txns().by_result[GHOST_TXN_CPU_NOT_ALLOWED].load(), 1u);
}

// While its agent sleeps in the commit that runs it, a thread is running
// (latched on that CPU), not runnable on no queue: the agent's census
// (printed when it stops) must not report it as lost.
TEST_F(PerCpuFifoTest, AThreadBeingLatchedIsRunningNotLost) {
  const uint64_t a = kernel_.Spawn();
  struct Seen {
    PerCpuFifoScheduler* sched;
    std::string census;
  } seen{&sched_, ""};
  kernel_.set_before_commit(
      [](FakeKernel&, void* p) {
        auto* s = static_cast<Seen*>(p);
        s->census = Census(*s->sched);
      },
      &seen);
  Round(1);
  ASSERT_EQ(kernel_.cpu_of(a), 1);
  EXPECT_THAT(seen.census, ::testing::EndsWith("runnable but not queued (word):"));
  EXPECT_THAT(seen.census, ::testing::HasSubstr("@1;"));
}

// CPUs numbered past any 64-bit mask: a refusal there is remembered.
class PerCpuFarCpuTest : public PerCpuFifoTest,
                         public ::testing::WithParamInterface<int> {
 protected:
  PerCpuFarCpuTest() : PerCpuFifoTest({1, GetParam()}) {}
};

TEST_P(PerCpuFarCpuTest, AThreadRefusedByAFarCpuRunsWhereItMay) {
  const int far = GetParam();
  const uint64_t busy = kernel_.Spawn();
  Round(1);
  ASSERT_EQ(kernel_.cpu_of(busy), 1);
  const uint64_t picky = kernel_.Spawn(/*runnable=*/false);
  kernel_.SetAllowedCpus(picky, CpuSet::Of({1}));
  kernel_.Wake(picky);
  Round(1);                                // queued on CPU 1, which is busy
  for (int i = 0; i < 5; ++i) Round(far);  // the idle far CPU steals it
  EXPECT_EQ(sched_.txns().by_result[GHOST_TXN_CPU_NOT_ALLOWED].load(), 1u)
      << "CPU " << far << " was tried again";
  EXPECT_EQ(kernel_.cpu_of(picky), -1);
  kernel_.Block(busy);
  Round(1);  // CPU 1 is free: it takes the thread back from the far CPU
  EXPECT_EQ(kernel_.cpu_of(picky), 1);
}

INSTANTIATE_TEST_SUITE_P(PastSixtyFourAndPastAThousand, PerCpuFarCpuTest,
                         ::testing::Values(70, 1100));

TEST_F(PerCpuFifoTest, AStaleCommitIsRetriedAfterTheNews) {
  const uint64_t a = kernel_.Spawn(/*runnable=*/false);
  kernel_.Wake(a);
  // Between the decision and the commit, a's affinity changes: its
  // barrier moves, so the commit fails stale.
  struct Ctx {
    uint64_t gtid;
    bool done = false;
  } ctx{a};
  kernel_.set_before_commit(
      [](FakeKernel& k, void* p) {
        auto* c = static_cast<Ctx*>(p);
        if (!c->done) k.SetAllowed(c->gtid, ~uint64_t{0});
        c->done = true;
      },
      &ctx);
  Round(1);
  EXPECT_EQ(kernel_.cpu_of(a), -1);
  EXPECT_GE(sched_.txns().failed(), 1u);
  Round(1);
  EXPECT_EQ(kernel_.cpu_of(a), 1);
}

TEST_F(PerCpuFifoTest, EveryThreadOfAManyThreadStreamRuns) {
  std::vector<uint64_t> threads;
  for (int i = 0; i < 100; ++i) threads.push_back(kernel_.Spawn());
  // Each runs a little, then exits; rounds continue until all are done.
  for (int round = 0; round < 400 && kernel_.live_threads() > 0; ++round) {
    RoundAll();
    for (int cpu : cpus_) {
      if (uint64_t g = kernel_.running_gtid(cpu)) kernel_.Exit(g);
    }
  }
  EXPECT_EQ(kernel_.live_threads(), 0);
  RoundAll();
  EXPECT_EQ(sched_.tasks().live(), 0);
  EXPECT_GT(sched_.steals() + sched_.placed_elsewhere(), 0u)
      << "the threads were spread over the CPUs";
  EXPECT_EQ(sched_.stats().gaps.load(), 0u);
  EXPECT_EQ(sched_.stats().illegal.load(), 0u);
}

// Threads that were in the enclave before the agent started.
class PerCpuFifoDiscoveryTest : public PerCpuFifoTest {
 protected:
  void SetUp() override {}
};

TEST_F(PerCpuFifoDiscoveryTest, ANewAgentAdoptsEveryLiveThread) {
  // An old agent's default queue got the NEW messages.
  ASSERT_TRUE(kernel_.CreateChannel(256, /*make_default=*/true).ok());
  const uint64_t runnable = kernel_.Spawn();
  const uint64_t blocked = kernel_.Spawn(/*runnable=*/false);
  const uint64_t running = kernel_.Spawn(false, /*on_cpu=*/true, 2);
  Start();
  EXPECT_EQ(sched_.tasks().live(), 3);
  EXPECT_EQ(sched_.stats().adopted.load(), 3u);
  RoundAll();
  EXPECT_EQ(kernel_.cpu_of(runnable), 1);
  EXPECT_EQ(kernel_.cpu_of(blocked), -1);
  // Associated with our queues: their events reach us.
  kernel_.Wake(blocked);
  kernel_.Block(running);
  RoundAll(2);
  EXPECT_NE(kernel_.cpu_of(blocked), -1);
  EXPECT_EQ(sched_.stats().gaps.load(), 0u);
}

// After an agent's death every thread may be runnable at once: the new
// agent spreads them over its CPUs as it finds them, rather than leaving
// them on the home CPU for the others to steal one at a time.
TEST_F(PerCpuFifoDiscoveryTest, RunnableThreadsFoundAtStartAreSpread) {
  ASSERT_TRUE(kernel_.CreateChannel(256, /*make_default=*/true).ok());
  for (int i = 0; i < 30; ++i) kernel_.Spawn();
  Start();
  // A third each, give or take what a move must save (kMoveMargin).
  for (int cpu : cpus_) EXPECT_NEAR(sched_.queued(cpu), 10, 1) << "CPU " << cpu;
  RoundAll();
  for (int cpu : cpus_) EXPECT_NE(kernel_.running_gtid(cpu), 0u);
  EXPECT_EQ(sched_.steals(), 0u);
}

class PerCpuFifoOverflowTest : public PerCpuFifoTest {
 protected:
  PerCpuFifoOverflowTest() : PerCpuFifoTest({1}, /*queue_size=*/16) {}
};

TEST_F(PerCpuFifoOverflowTest, AnOverflowedQueueIsResynchronisedFromWords) {
  std::vector<uint64_t> threads;
  for (int i = 0; i < 40; ++i) threads.push_back(kernel_.Spawn());
  ASSERT_GT(kernel_.dropped(), 0u);
  for (int round = 0; round < 200 && kernel_.live_threads() > 0; ++round) {
    Round(1);
    if (uint64_t g = kernel_.running_gtid(1)) kernel_.Exit(g);
  }
  EXPECT_EQ(kernel_.live_threads(), 0) << "no thread was lost";
  EXPECT_GE(sched_.stats().resyncs.load(), 1u);
  EXPECT_GE(sched_.stats().adopted.load(), 24u) << "the lost NEWs";
}

}  // namespace
}  // namespace ghost::fifo
