// How the per-CPU FIFO spreads a burst of CPU-bound threads over its CPUs,
// against the fake kernel: a creator on one CPU starts many threads, and
// every CPU must run some of them at once, not after a help delay and
// one steal per slice (VM: AgentKillTest.InBypass..., 600 spinners on 3
// CPUs took 39 s for their first turns).
//
// As a real agent does, an agent runs a round only when something woke it
// (FakeKernel::agent_asleep), and no time passes unless the test says so.
#include <cstdint>
#include <set>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "schedulers/fifo/percpu/percpu_fifo_scheduler.h"
#include "tests/host/fakes/fake_kernel.h"
#include "tests/host/fakes/settle_agents.h"

namespace ghost::fifo {
namespace {

using ::ghost::testing::FakeKernel;

constexpr int kChildren = 60;

class PerCpuSpreadTest : public ::testing::Test {
 protected:
  PerCpuSpreadTest()
      : kernel_(cpus_),
        sched_(kernel_, cpus_,
               {.queue_size = 1024, .clock = [this] { return now_; }}) {}

  void SetUp() override {
    ASSERT_TRUE(testing::StartOnFake(kernel_, sched_, cpus_).ok());
    Settle();  // every agent goes to sleep idle
  }

  // Every agent that was woken runs its rounds until it sleeps again; it
  // takes its CPU from the thread running there, as the agent class does.
  void Settle() {
    if (!testing::SettleAgents(kernel_, cpus_,
                               [this](int cpu) { sched_.Round(cpu); })) {
      FAIL() << "the agents never went to sleep";
    }
  }

  int Threads(int cpu) const {
    return sched_.queued(cpu) + (kernel_.running_gtid(cpu) != 0 ? 1 : 0);
  }

  std::vector<int> cpus_ = {1, 2, 3};
  int64_t now_ = 1000000000;
  FakeKernel kernel_;
  PerCpuFifoScheduler sched_;
};

TEST_F(PerCpuSpreadTest, ABurstOfNewThreadsRunsOnEveryCpuAtOnce) {
  kernel_.Spawn(/*runnable=*/false, /*on_cpu=*/true, /*cpu=*/2);
  for (int i = 0; i < kChildren; ++i) kernel_.Fork(2);
  Settle();
  for (int cpu : cpus_) {
    EXPECT_NE(kernel_.running_gtid(cpu), 0u)
        << "CPU " << cpu << " waits for a tick to get a thread";
  }
  // Each CPU has a third of the threads, give or take the two a thread
  // must save to be moved off a busy CPU (kMoveMargin).
  for (int cpu : cpus_) {
    EXPECT_NEAR(Threads(cpu), (kChildren + 1) / 3.0, 2.0) << "CPU " << cpu;
  }
}

// The same burst as wakeups: threads that waited at a gate, all owned by
// one CPU, are woken at once (a futex wake of every waiter).
TEST_F(PerCpuSpreadTest, ThreadsWokenTogetherSpreadOverTheCpus) {
  const uint64_t creator = kernel_.Spawn(/*runnable=*/false, /*on_cpu=*/true,
                                         /*cpu=*/2);
  std::vector<uint64_t> waiters;
  for (int i = 0; i < kChildren; ++i) {
    waiters.push_back(kernel_.Fork(2));
    Settle();
    // It runs once and waits at the gate.
    for (int cpu : cpus_) {
      const uint64_t g = kernel_.running_gtid(cpu);
      if (g != 0 && g != creator) kernel_.Block(g);
    }
    Settle();
  }
  for (uint64_t g : waiters) ASSERT_FALSE(kernel_.runnable(g));
  for (uint64_t g : waiters) kernel_.Wake(g);
  Settle();
  for (int cpu : cpus_) {
    EXPECT_NE(kernel_.running_gtid(cpu), 0u) << "CPU " << cpu;
    EXPECT_NEAR(Threads(cpu), (kChildren + 1) / 3.0, 2.0) << "CPU " << cpu;
  }
}

// CPU-bound threads all run a first turn within the slices that dividing
// them over the CPUs takes: no CPU sits idle while another has a backlog.
TEST_F(PerCpuSpreadTest, EveryCpuBoundThreadGetsAFirstTurnWithinItsShare) {
  const uint64_t creator = kernel_.Spawn(/*runnable=*/false, /*on_cpu=*/true,
                                         /*cpu=*/2);
  for (int i = 0; i < kChildren; ++i) kernel_.Fork(2);
  kernel_.Block(creator);
  Settle();
  std::set<uint64_t> ran;
  const int64_t start = now_;
  // A tick a millisecond on each CPU; the slice is the default (4 ms).
  const int64_t share_ms =
      absl::ToInt64Milliseconds(kDefaultSlice) * (kChildren / 3 + 1);
  for (int ms = 0; ms <= share_ms && ran.size() < kChildren; ++ms) {
    for (int cpu : cpus_) {
      if (uint64_t g = kernel_.running_gtid(cpu)) ran.insert(g);
    }
    now_ += absl::ToInt64Nanoseconds(absl::Milliseconds(1));
    for (int cpu : cpus_) kernel_.Tick(cpu);
    Settle();
  }
  EXPECT_EQ(ran.size(), static_cast<size_t>(kChildren))
      << "after " << (now_ - start) / 1000000 << " ms";
}

// Agents run at the same time: CPU 2's agent has found nothing to run and
// is about to sleep when CPU 1's agent hands it a thread, finding it not
// idle yet (so it does not ping it). CPU 2 must not sleep on that thread.
TEST_F(PerCpuSpreadTest, AThreadHandedToACpuGoingToSleepIsRun) {
  const uint64_t a = kernel_.Spawn();
  Settle();
  const uint64_t b = kernel_.Spawn();  // waits behind a
  Settle();
  const uint64_t c = kernel_.Spawn();  // b waits on 1: c goes to idle 2
  Settle();
  const uint64_t d = kernel_.Spawn();  // b waits on 1: d goes to idle 3
  Settle();
  ASSERT_EQ(kernel_.cpu_of(a), 1);
  ASSERT_EQ(kernel_.cpu_of(c), 2);
  ASSERT_EQ(kernel_.cpu_of(d), 3);
  ASSERT_TRUE(sched_.ticks_wake(2)) << "b waited while c ran";
  kernel_.Block(a);
  Settle();
  ASSERT_EQ(kernel_.cpu_of(b), 1);
  // c blocks; CPU 2 finds nothing and turns its ticks off (SetCpuChannel):
  // right then, CPU 1 hears of e and f, and hands f to CPU 2.
  struct Interleave {
    PerCpuFifoScheduler* sched;
    bool done = false;
    uint64_t f = 0;
  } at{&sched_};
  kernel_.set_on_cpu_channel(
      [](FakeKernel& k, void* p) {
        auto* at = static_cast<Interleave*>(p);
        if (at->done) return;
        at->done = true;
        k.Spawn();  // e waits behind b on CPU 1
        at->f = k.Spawn();
        k.SetCallerCpu(1);
        at->sched->Round(1);
        k.SetCallerCpu(2);
      },
      &at);
  kernel_.Block(c);
  Settle();
  ASSERT_TRUE(at.done);
  EXPECT_EQ(kernel_.cpu_of(at.f), 2) << "f waits on CPU 2, whose agent sleeps";
}

}  // namespace
}  // namespace ghost::fifo
