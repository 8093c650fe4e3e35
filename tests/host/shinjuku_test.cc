// The Shinjuku policy on scripted event streams against the in-process
// fake kernel: strict QoS order, slice preemption, the idle edge of a hint
// (a "run nothing" commit), parking, failed commits, and hint regions that
// go bad.
#include <sys/mman.h>
#include <unistd.h>

#include <memory>
#include <set>
#include <vector>

#include "gtest/gtest.h"
#include "lib/hints/hint_writer.h"
#include "schedulers/shinjuku/shinjuku_scheduler.h"
#include "tests/host/fakes/fake_kernel.h"

namespace ghost::shinjuku {
namespace {

using ::ghost::testing::FakeKernel;

int64_t fake_now = 0;
constexpr int64_t kMs = 1000000;

class ShinjukuTest : public ::testing::Test {
 protected:
  ShinjukuTest()
      : kernel_({0, 1, 2, 3}),
        sched_(kernel_, {0, 1, 2, 3},
               {.slice = absl::Milliseconds(2),
                .park_limit = absl::Milliseconds(50),
                // These cases are about the other CPUs: the global CPU is
                // never lent here (ShinjukuLendingTest lends it).
                .lend_delay = absl::InfiniteDuration(),
                .hint_settle_limit = absl::Milliseconds(10),
                .queue_size = 256,
                .clock = [] { return fake_now; }}) {}

  void SetUp() override {
    fake_now = 10000 * kMs;  // a clock far from 0, as CLOCK_MONOTONIC is
    ASSERT_TRUE(
        StartOnFake(kernel_, sched_, std::vector<int>{0, 1, 2, 3}).ok());
    absl::StatusOr<std::unique_ptr<HintWriter>> w = HintWriter::Create(32);
    ASSERT_TRUE(w.ok()) << w.status();
    hints_ = std::move(*w);
  }

  void GlobalRound() {
    const int cpu = sched_.global_cpu();
    kernel_.SetCallerCpu(cpu);
    sched_.Round(cpu);
  }

  void HandOver() {
    ASSERT_TRUE(sched_.AcceptHints(Fd(dup(hints_->fd())), getpid()).ok());
  }

  // A thread with a hint of class `qos`.
  uint64_t SpawnWithQos(uint32_t qos, uint32_t* item = nullptr) {
    const uint64_t g = kernel_.Spawn(/*runnable=*/false);
    absl::StatusOr<uint32_t> i = hints_->Claim(g, {.qos = qos});
    EXPECT_TRUE(i.ok());
    if (item != nullptr) *item = *i;
    GlobalRound();  // reads the hint before the thread wakes
    kernel_.Wake(g);
    return g;
  }

  uint64_t counter(const char* name) const {
    Policy::Counters c;
    sched_.AddCounters(c);
    for (auto& [n, v] : c) {
      if (n == name) return v;
    }
    ADD_FAILURE() << "no counter " << name;
    return 0;
  }

  FakeKernel kernel_;
  ShinjukuScheduler sched_;
  std::unique_ptr<HintWriter> hints_;
};

TEST_F(ShinjukuTest, OneCommitFillsEveryFreeCpuAndTheGlobalCpuRunsNone) {
  for (int i = 0; i < 5; ++i) kernel_.Spawn();
  const int calls = kernel_.commit_calls();
  GlobalRound();
  EXPECT_EQ(kernel_.commit_calls(), calls + 1);
  EXPECT_EQ(kernel_.last_commit_size(), 3);
  EXPECT_EQ(kernel_.running_gtid(0), 0u);
  EXPECT_EQ(sched_.queued(kDefaultQos), 2u);
}

TEST_F(ShinjukuTest, ABetterClassRunsFirstAndTakesTheWorstCpuAtOnce) {
  HandOver();
  const uint64_t low1 = SpawnWithQos(3), low2 = SpawnWithQos(3);
  const uint64_t mid = SpawnWithQos(1);
  GlobalRound();
  ASSERT_NE(kernel_.cpu_of(low1), -1);
  ASSERT_NE(kernel_.cpu_of(low2), -1);
  ASSERT_NE(kernel_.cpu_of(mid), -1);
  // A class-0 thread, every CPU busy and nobody's slice over: it takes a
  // class-3 thread's CPU, not the class-1 one's.
  const uint64_t top = SpawnWithQos(0);
  GlobalRound();
  EXPECT_NE(kernel_.cpu_of(top), -1);
  EXPECT_NE(kernel_.cpu_of(mid), -1);
  EXPECT_EQ(counter("class_preemptions"), 1u);
  const uint64_t out = kernel_.cpu_of(low1) == -1 ? low1 : low2;
  EXPECT_EQ(kernel_.cpu_of(out), -1);
  // Its PREEMPTED puts it at the front of class 3: the next CPU is its.
  GlobalRound();
  kernel_.Block(mid);
  GlobalRound();
  EXPECT_NE(kernel_.cpu_of(out), -1);
}

TEST_F(ShinjukuTest, AWaitingBetterClassIsServedBeforeAnOlderWorseOne) {
  HandOver();
  std::vector<uint64_t> busy;
  for (int i = 0; i < 3; ++i) busy.push_back(SpawnWithQos(0));
  GlobalRound();
  const uint64_t low = SpawnWithQos(3);
  const uint64_t high = SpawnWithQos(1);
  GlobalRound();
  EXPECT_EQ(kernel_.cpu_of(low), -1);
  EXPECT_EQ(kernel_.cpu_of(high), -1) << "class 0 holds every CPU";
  kernel_.Block(busy[0]);
  GlobalRound();
  EXPECT_NE(kernel_.cpu_of(high), -1);
  EXPECT_EQ(kernel_.cpu_of(low), -1);
}

TEST_F(ShinjukuTest, AThreadPastItsSliceGoesToTheBackOfItsClass) {
  std::vector<uint64_t> t;
  for (int i = 0; i < 4; ++i) t.push_back(kernel_.Spawn());
  GlobalRound();
  ASSERT_EQ(kernel_.running_gtid(1), t[0]);
  fake_now += 1 * kMs;
  GlobalRound();
  EXPECT_EQ(kernel_.running_gtid(1), t[0]) << "within its slice";
  fake_now += 2 * kMs;
  GlobalRound();
  EXPECT_EQ(kernel_.running_gtid(1), t[3]);
  EXPECT_EQ(counter("slice_preemptions"), 1u);
  GlobalRound();  // t[0] is behind; t[1] on CPU 2 is past its slice too
  EXPECT_EQ(kernel_.running_gtid(2), t[0]);
}

TEST_F(ShinjukuTest, ADisplacedThreadIsQueuedAtOnceNotOnItsPreempted) {
  std::vector<uint64_t> t;
  for (int i = 0; i < 4; ++i) t.push_back(kernel_.Spawn());
  GlobalRound();
  fake_now += 3 * kMs;
  GlobalRound();  // t[3] displaces one; the PREEMPTED is not read yet
  EXPECT_EQ(sched_.queued(kDefaultQos), 1u)
      << "a thread must not depend on one message to run again";
}

TEST_F(ShinjukuTest, NoSlicePreemptionWhenNobodyWaits) {
  const uint64_t a = kernel_.Spawn();
  GlobalRound();
  fake_now += 10 * kMs;
  GlobalRound();
  EXPECT_EQ(kernel_.cpu_of(a), 1);
  EXPECT_EQ(counter("slice_preemptions"), 0u);
}

TEST_F(ShinjukuTest, AThreadOfAWorseClassIsNotSlicedForAWaitingWorseOne) {
  HandOver();
  std::vector<uint64_t> top;
  for (int i = 0; i < 3; ++i) top.push_back(SpawnWithQos(0));
  GlobalRound();
  const uint64_t low = SpawnWithQos(3);
  fake_now += 10 * kMs;
  GlobalRound();
  EXPECT_EQ(kernel_.cpu_of(low), -1);
  for (uint64_t g : top) EXPECT_NE(kernel_.cpu_of(g), -1);
}

TEST_F(ShinjukuTest, AThreadIdleInItsHintLosesItsCpuToNothing) {
  HandOver();
  uint32_t item;
  const uint64_t a = SpawnWithQos(0, &item);
  GlobalRound();
  const int cpu = kernel_.cpu_of(a);
  ASSERT_NE(cpu, -1);
  hints_->SetIdle(item, true);
  GlobalRound();
  EXPECT_EQ(kernel_.running_gtid(cpu), 0u) << "a run-nothing commit";
  EXPECT_EQ(counter("idle_commits"), 1u);
  GlobalRound();  // its PREEMPTED parks it
  EXPECT_EQ(sched_.parked(), 1u);
  EXPECT_EQ(counter("parks"), 1u);
  EXPECT_EQ(counter("idle_takebacks"), 1u);
  EXPECT_EQ(kernel_.cpu_of(a), -1);
  hints_->SetIdle(item, false);
  GlobalRound();
  EXPECT_NE(kernel_.cpu_of(a), -1) << "work came: it runs again";
  EXPECT_EQ(sched_.parked(), 0u);
}

TEST_F(ShinjukuTest, AnIdleThreadsCpuGoesToAWaitingThread) {
  HandOver();
  std::vector<uint32_t> items(3);
  std::vector<uint64_t> t;
  for (int i = 0; i < 3; ++i) t.push_back(SpawnWithQos(1, &items[i]));
  GlobalRound();
  const uint64_t waiting = SpawnWithQos(3);
  GlobalRound();
  ASSERT_EQ(kernel_.cpu_of(waiting), -1);
  const int cpu = kernel_.cpu_of(t[1]);
  hints_->SetIdle(items[1], true);
  GlobalRound();
  EXPECT_EQ(kernel_.running_gtid(cpu), waiting);
  EXPECT_EQ(counter("idle_takebacks"), 1u);
  EXPECT_EQ(counter("idle_commits"), 0u);
}

TEST_F(ShinjukuTest, AParkedThreadRunsAfterTheParkLimitWhereNothingElseWants) {
  HandOver();
  uint32_t item;
  const uint64_t a = SpawnWithQos(0, &item);
  GlobalRound();
  hints_->SetIdle(item, true);
  GlobalRound();
  GlobalRound();
  ASSERT_EQ(sched_.parked(), 1u);
  fake_now += 10 * kMs;
  GlobalRound();
  EXPECT_EQ(kernel_.cpu_of(a), -1) << "within the park limit";
  fake_now += 50 * kMs;
  GlobalRound();
  EXPECT_NE(kernel_.cpu_of(a), -1) << "the watchdog must not see it starve";
  EXPECT_EQ(counter("park_expiries"), 1u);
  GlobalRound();
  EXPECT_NE(kernel_.cpu_of(a), -1) << "not taken back at once";
  const uint64_t b = kernel_.Spawn();
  const uint64_t c = kernel_.Spawn();
  const uint64_t d = kernel_.Spawn();
  GlobalRound();
  EXPECT_EQ(kernel_.cpu_of(a), -1) << "any waiting thread beats it";
  for (uint64_t g : {b, c, d}) EXPECT_NE(kernel_.cpu_of(g), -1);
}

TEST_F(ShinjukuTest, AHintForAThreadNotYetKnownAppliesWhenItArrives) {
  HandOver();
  GlobalRound();
  // Busy CPUs with class-2 (no hint) threads, then a class-0 thread whose
  // hint was written before it was born.
  for (int i = 0; i < 3; ++i) kernel_.Spawn();
  GlobalRound();
  const uint64_t g = kernel_.Spawn(/*runnable=*/false);
  // Its hint is read in the same round as its NEW? Write it first, read
  // it before the NEW by reading the hints with the queue empty: the
  // fake's gtids are handed out in order, so name the next one.
  const uint64_t next = g + 1;
  ASSERT_TRUE(hints_->Claim(next, {.qos = 0}).ok());
  GlobalRound();
  EXPECT_EQ(counter("hints_unmatched"), 1u);
  const uint64_t born = kernel_.Spawn();
  ASSERT_EQ(born, next);
  GlobalRound();  // NEW, then the rescan finds its hint
  GlobalRound();
  EXPECT_NE(kernel_.cpu_of(born), -1) << "class 0 took a CPU";
  EXPECT_EQ(counter("class_preemptions"), 1u);
}

TEST_F(ShinjukuTest, AHostileRegionIsGivenUpAndItsThreadsFallBackToFifo) {
  HandOver();
  std::vector<uint64_t> busy;
  for (int i = 0; i < 3; ++i) busy.push_back(SpawnWithQos(3));
  GlobalRound();
  uint32_t item;
  const uint64_t top = SpawnWithQos(0, &item);
  GlobalRound();
  ASSERT_NE(kernel_.cpu_of(top), -1);
  // The application scribbles an index past its items into the ring.
  auto* h = static_cast<ghost_hint_header*>(hints_->data());
  auto* ring = reinterpret_cast<uint64_t*>(static_cast<char*>(hints_->data()) +
                                           h->ring_offset);
  const uint64_t pos = h->ring_head;
  ring[pos & (h->ring_entries - 1)] = ((pos + 1) << 32) | 999999;
  h->ring_head = pos + 1;
  GlobalRound();
  EXPECT_EQ(counter("hint_region_faults"), 1u);
  EXPECT_EQ(counter("hint_regions"), 0u);
  // Everybody is class 2 now: plain FIFO with the slice.
  const uint64_t late = kernel_.Spawn();
  fake_now += 3 * kMs;
  GlobalRound();
  EXPECT_NE(kernel_.cpu_of(late), -1) << "FIFO and slices, no classes";
  GlobalRound();
  GlobalRound();
  EXPECT_EQ(counter("hint_region_faults"), 1u) << "said once";
}

TEST_F(ShinjukuTest, AnUnsealedOrMalformedRegionIsRefusedWithAReason) {
  int fd = memfd_create("plain", MFD_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, 4096), 0);
  absl::Status s = sched_.AcceptHints(Fd(fd), getpid());
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("F_SEAL_SHRINK"), std::string::npos);
  static_cast<ghost_hint_header*>(hints_->data())->magic = 0;
  s = sched_.AcceptHints(Fd(dup(hints_->fd())), getpid());
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("magic"), std::string::npos);
  int pipes[2];
  ASSERT_EQ(pipe(pipes), 0);
  close(pipes[1]);
  EXPECT_FALSE(sched_.AcceptHints(Fd(pipes[0]), getpid()).ok());
}

TEST_F(ShinjukuTest, ARegionHandedOverAgainReplacesTheOld) {
  HandOver();
  uint32_t item;
  SpawnWithQos(0, &item);
  HandOver();
  GlobalRound();
  EXPECT_EQ(counter("hint_regions"), 1u);
}

// Failed commits never lose a thread: whatever the kernel answers, every
// live thread still runs afterwards.
struct Chaos {
  int n = 0;
  std::vector<uint64_t>* threads;
};

TEST_F(ShinjukuTest, EveryThreadRunsAfterFailedCommits) {
  std::vector<uint64_t> t;
  for (int i = 0; i < 8; ++i) t.push_back(kernel_.Spawn());
  Chaos chaos{.threads = &t};
  // Before some commits, a thread due to be latched changes under the
  // agent: it blocks and wakes (TARGET_STALE), or blocks for good
  // (TARGET_NOT_RUNNABLE until it wakes later), or gets another affinity.
  kernel_.set_before_commit(
      [](FakeKernel& k, void* arg) {
        auto* c = static_cast<Chaos*>(arg);
        const int i = c->n++;
        const uint64_t g = (*c->threads)[i % c->threads->size()];
        if (i % 3 == 0 && k.runnable(g) && k.cpu_of(g) == -1) {
          k.SetAllowed(g, 0b1110);  // AFFINITY_CHANGED: stale barrier
        } else if (i % 3 == 1 && k.cpu_of(g) != -1) {
          k.Yield(g);
        }
      },
      &chaos);
  std::set<uint64_t> ran;
  for (int round = 0; round < 200; ++round) {
    fake_now += 1 * kMs;
    GlobalRound();
    for (int cpu : {1, 2, 3}) {
      const uint64_t g = kernel_.running_gtid(cpu);
      if (g != 0) ran.insert(g);
    }
  }
  kernel_.set_before_commit(nullptr, nullptr);
  EXPECT_GT(sched_.txns().failed(), 0u) << "the chaos caused failures";
  for (uint64_t g : t) EXPECT_TRUE(ran.count(g)) << "thread " << g << " ran";
  // And once the chaos stops, runnable threads keep being served.
  std::set<uint64_t> after;
  for (int round = 0; round < 40; ++round) {
    fake_now += 3 * kMs;
    GlobalRound();
    for (int cpu : {1, 2, 3}) {
      const uint64_t g = kernel_.running_gtid(cpu);
      if (g != 0) after.insert(g);
    }
  }
  for (uint64_t g : t) {
    if (kernel_.runnable(g)) {
      EXPECT_TRUE(after.count(g)) << g;
    }
  }
}

TEST_F(ShinjukuTest, AThreadWhoseCommitWentStaleIsKeptAndRunsNext) {
  const uint64_t a = kernel_.Spawn();
  static uint64_t target;
  target = a;
  // Its affinity changes between the decision and the commit.
  kernel_.set_before_commit(
      [](FakeKernel& k, void*) { k.SetAllowed(target, 0b1110); }, nullptr);
  GlobalRound();
  kernel_.set_before_commit(nullptr, nullptr);
  EXPECT_EQ(sched_.txns().by_result[GHOST_TXN_TARGET_STALE].load(), 1u);
  EXPECT_EQ(kernel_.cpu_of(a), -1);
  GlobalRound();
  EXPECT_NE(kernel_.cpu_of(a), -1);
}

TEST_F(ShinjukuTest, TheAgentSpinsWhileAThreadRunsAndSleepsWhenNoneDoes) {
  const uint64_t a = kernel_.Spawn();
  GlobalRound();
  const int blocks = kernel_.blocks();
  fake_now += 10 * kMs;
  GlobalRound();
  GlobalRound();
  EXPECT_EQ(kernel_.blocks(), blocks)
      << "a hint or a slice may need it: no message would wake it";
  kernel_.Block(a);
  GlobalRound();
  fake_now += 10 * kMs;
  GlobalRound();
  EXPECT_EQ(kernel_.blocks(), blocks + 1);
}

TEST_F(ShinjukuTest, MakeRefusesOneCpuAndTakesTheSlice) {
  FakeKernel k({0});
  EXPECT_FALSE(ShinjukuScheduler::Make(k, {.cpus = {0}}).ok());
  FakeKernel k2({0, 1});
  EXPECT_TRUE(ShinjukuScheduler::Make(k2, {.cpus = {0, 1}}).ok());
}

TEST_F(ShinjukuTest, MakeTakesAnUnsetSliceAsTheDefaultAndZeroAsNone) {
  FakeKernel k({0, 1});
  absl::StatusOr<std::unique_ptr<Policy>> p =
      ShinjukuScheduler::Make(k, {.cpus = {0, 1}});
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(StartOnFake(k, **p, {0, 1}).ok());
  EXPECT_TRUE(k.ticks_enabled()) << "slices: the global CPU's ticks";
  FakeKernel k2({0, 1});
  p = ShinjukuScheduler::Make(k2,
                              {.cpus = {0, 1}, .slice = absl::ZeroDuration()});
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(StartOnFake(k2, **p, {0, 1}).ok());
  EXPECT_FALSE(k2.ticks_enabled()) << "no slices, no ticks";
}

// With its defaults (lend at once) the global agent lends its own CPU, as
// fifo_centralized does: to the first waiting thread of the best class.
class ShinjukuLendingTest : public ::testing::Test {
 protected:
  ShinjukuLendingTest()
      : kernel_({0, 1, 2, 3}),
        sched_(kernel_, {0, 1, 2, 3},
               {.slice = absl::Milliseconds(2), .queue_size = 256, .clock = [] {
                  return fake_now;
                }}) {}

  void SetUp() override {
    fake_now = 10000 * kMs;
    ASSERT_TRUE(
        StartOnFake(kernel_, sched_, std::vector<int>{0, 1, 2, 3}).ok());
    absl::StatusOr<std::unique_ptr<HintWriter>> w = HintWriter::Create(32);
    ASSERT_TRUE(w.ok()) << w.status();
    hints_ = std::move(*w);
    ASSERT_TRUE(sched_.AcceptHints(Fd(dup(hints_->fd())), getpid()).ok());
  }

  void GlobalRound() {
    kernel_.SetCallerCpu(sched_.global_cpu());
    sched_.Round(sched_.global_cpu());
  }

  uint64_t SpawnWithQos(uint32_t qos) {
    const uint64_t g = kernel_.Spawn(/*runnable=*/false);
    EXPECT_TRUE(hints_->Claim(g, {.qos = qos}).ok());
    GlobalRound();
    kernel_.Wake(g);
    return g;
  }

  FakeKernel kernel_;
  ShinjukuScheduler sched_;
  std::unique_ptr<HintWriter> hints_;
};

TEST_F(ShinjukuLendingTest, OnlyTheGlobalCpusTicksAreAsked) {
  EXPECT_TRUE(kernel_.ticks_enabled());
  EXPECT_NE(kernel_.cpu_channel(0), -1);
  for (int cpu : {1, 2, 3}) EXPECT_EQ(kernel_.cpu_channel(cpu), -1) << cpu;
}

TEST_F(ShinjukuLendingTest, WithEveryOtherCpuBusyTheBestWaitingThreadGetsIt) {
  for (int i = 0; i < 3; ++i) SpawnWithQos(0);
  GlobalRound();
  // Both wake before the next round: the older one is the worse class.
  const uint64_t low = kernel_.Spawn(/*runnable=*/false);
  const uint64_t mid = kernel_.Spawn(/*runnable=*/false);
  ASSERT_TRUE(hints_->Claim(low, {.qos = 3}).ok());
  ASSERT_TRUE(hints_->Claim(mid, {.qos = 1}).ok());
  GlobalRound();
  kernel_.Wake(low);
  kernel_.Wake(mid);
  GlobalRound();
  EXPECT_EQ(kernel_.running_gtid(0), mid) << "class 1 before class 3";
  EXPECT_EQ(kernel_.cpu_of(low), -1);
  EXPECT_EQ(sched_.lent(), 1u);
  const uint32_t barrier = kernel_.words().Read(kernel_.agent_sw(0)).barrier;
  kernel_.Tick(0);
  EXPECT_NE(kernel_.words().Read(kernel_.agent_sw(0)).barrier, barrier)
      << "a tick of its CPU wakes the global agent";
}

TEST_F(ShinjukuLendingTest, ALentWorseClassGivesTheGlobalCpuUpAtOnce) {
  for (int i = 0; i < 3; ++i) SpawnWithQos(0);
  GlobalRound();
  const uint64_t low = SpawnWithQos(3);
  GlobalRound();
  ASSERT_EQ(kernel_.running_gtid(0), low) << "lent: nothing better waits";
  const uint64_t top = SpawnWithQos(0);
  GlobalRound();
  EXPECT_EQ(kernel_.running_gtid(0), top) << "within low's slice";
  EXPECT_EQ(sched_.queued(3), 1u) << "low waits at the front of class 3";
  Policy::Counters c;
  sched_.AddCounters(c);
  for (auto& [name, v] : c) {
    if (name == "class_preemptions") EXPECT_EQ(v, 1u);
  }
}

TEST_F(ShinjukuLendingTest, ALentThreadIdleInItsHintIsParkedAndCounted) {
  for (int i = 0; i < 3; ++i) SpawnWithQos(0);
  const uint64_t lent = kernel_.Spawn(/*runnable=*/false);
  absl::StatusOr<uint32_t> item = hints_->Claim(lent, {.qos = 1});
  ASSERT_TRUE(item.ok());
  GlobalRound();
  kernel_.Wake(lent);
  const uint64_t low = SpawnWithQos(3);
  GlobalRound();
  ASSERT_EQ(kernel_.running_gtid(0), lent);
  hints_->SetIdle(*item, true);
  kernel_.Tick(0);
  GlobalRound();
  GlobalRound();
  EXPECT_EQ(sched_.parked(), 1u);
  EXPECT_EQ(kernel_.running_gtid(0), low) << "the worse class, now";
  Policy::Counters c;
  sched_.AddCounters(c);
  for (auto& [name, v] : c) {
    if (name == "idle_takebacks") EXPECT_EQ(v, 1u);
  }
}

TEST_F(ShinjukuLendingTest, ALentThreadPastItsSliceMakesWayAndGoesBack) {
  std::vector<uint64_t> t;
  for (int i = 0; i < 5; ++i) t.push_back(kernel_.Spawn());
  GlobalRound();
  ASSERT_EQ(kernel_.running_gtid(0), t[3]) << "lent: the others are busy";
  fake_now += 3 * kMs;
  kernel_.Tick(0);
  GlobalRound();  // every slice is over: t[4] and the three after it
  GlobalRound();
  EXPECT_NE(kernel_.cpu_of(t[4]), -1) << "the waiting one got a CPU";
  EXPECT_GE(sched_.slices_ended(), 1u);
  std::set<uint64_t> ran;
  for (int i = 0; i < 40; ++i) {
    fake_now += 1 * kMs;
    kernel_.Tick(0);
    GlobalRound();
    for (int cpu : {0, 1, 2, 3}) ran.insert(kernel_.running_gtid(cpu));
  }
  for (uint64_t g : t) EXPECT_TRUE(ran.count(g)) << g << " never ran";
}

// The global agent lent its CPU and asked to block, but a message came
// first: the kernel refuses the block (ESTALE), and the lent thread stays
// latched there, not run, for as long as the agent keeps its CPU. With
// nothing else waiting the agent must still block, or that thread, neither
// queued nor running, waits for the enclave's watchdog (seen in the VM with
// 1000 threads).
TEST_F(ShinjukuLendingTest, ALentThreadStillLatchedRunsOnceNothingElseWaits) {
  std::vector<uint64_t> t;
  for (int i = 0; i < 4; ++i) t.push_back(kernel_.Spawn());
  // t[0] blocks between the lend's latch and the agent's block.
  kernel_.set_before_block(
      [](FakeKernel& k, void* arg) { k.Block(*static_cast<uint64_t*>(arg)); },
      &t[0]);
  GlobalRound();
  kernel_.set_before_block(nullptr, nullptr);
  ASSERT_EQ(kernel_.held_gtid(0), t[3]) << "the block was refused";
  for (int i = 0; i < 5 && kernel_.running_gtid(0) != t[3]; ++i) {
    fake_now += kMs / 10;
    GlobalRound();
  }
  EXPECT_EQ(kernel_.running_gtid(0), t[3])
      << "nothing else waits, yet the agent kept its CPU from the thread "
         "it lent it";
}

}  // namespace
}  // namespace ghost::shinjuku
