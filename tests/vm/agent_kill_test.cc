// Agent death (kernel rules K15, K16): agent_fifo is killed with SIGKILL at
// random moments while 200 threads run, 50 times; each time a new agent
// attaches to the same enclave, rediscovers every thread from the status
// words and schedules them. No thread is lost or stuck. With no new agent,
// the watchdog ends the enclave and the threads finish under CFS.
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/abi/enclave.h"
#include "lib/abi/ghost_run.h"
#include "lib/abi/ghostfs_mount.h"
#include "lib/abi/status_word_region.h"
#include "lib/runtime/shared_block.h"
#include "tests/vm/agent_fifo_process.h"
#include "tests/vm/enclave_child.h"
#include "tests/vm/vm_helpers.h"
#include "tests/vm/wait_for.h"

namespace ghost {
namespace {

using ::ghost::testing::AgentFifoProcess;
using ::ghost::testing::DestroyAllEnclaves;
using ::ghost::testing::FinishInEnclave;
using ::ghost::testing::LastDestroyed;
using ::ghost::testing::StartInEnclave;
using ::ghost::testing::WaitFor;

constexpr unsigned int kId = 25;
constexpr int kThreads = 200;

int64_t NowNs() { return absl::ToUnixNanos(absl::Now()); }

// Shared with the workload process.
struct Workload {
  std::atomic<bool> stop{false};
  std::atomic<int> started{0};
  std::atomic<int> finished{0};
  std::atomic<int> go{0};  // set once every thread exists
  std::atomic<uint64_t> rounds{0};
  // Per thread: its tid and when it last finished a round.
  std::atomic<pid_t> tid[kThreads] = {};
  std::atomic<int64_t> last_round_ns[kThreads] = {};
};

// `kThreads` threads that compute, yield and sleep until told to stop.
// Each waits (blocked) until all exist: 200 threads waking every half
// millisecond saturate this VM's CPUs, and, started at once, they took the
// creating thread's turns until 134-163 of them had started in 10 s.
int RunUntilStopped(Workload* w) {
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([w, i] {
      w->tid[i].store(static_cast<pid_t>(syscall(SYS_gettid)));
      w->started.fetch_add(1);
      while (w->go.load() == 0) w->go.wait(0);
      w->last_round_ns[i].store(NowNs());
      volatile uint64_t x = 0;
      while (!w->stop.load()) {
        for (int j = 0; j < 5000; ++j) x = x + j;
        sched_yield();
        usleep(500);
        w->rounds.fetch_add(1);
        w->last_round_ns[i].store(NowNs());
      }
      w->finished.fetch_add(1);
    });
  }
  w->go.store(1);
  w->go.notify_all();
  for (auto& t : threads) t.join();
  return 0;
}

uint64_t EnvOr(const char* name, uint64_t fallback) {
  uint64_t v;
  const char* s = getenv(name);
  return s && absl::SimpleAtoi(s, &v) ? v : fallback;
}

std::unique_ptr<AgentFifoProcess> StartAgent() {
  auto agent = std::make_unique<AgentFifoProcess>(std::vector<std::string>{
      "--mode=percpu", absl::StrCat("--enclave=", kId)});
  EXPECT_TRUE(agent->WaitForOutput("ready", absl::Seconds(60)))
      << agent->output();
  return agent;
}

// The "ready in N ms" of agent_fifo's output (its start-up), or -1.
int ReadyMs(const std::string& output) {
  const size_t at = output.find("ready in ");
  int ms = -1;
  if (at != std::string::npos) {
    std::sscanf(output.c_str() + at, "ready in %d", &ms);
  }
  return ms;
}

// Waits until every thread has finished a round after `since`; returns the
// index of one that did not within `limit`, or -1.
int LaggingThread(const Workload* w, int64_t since, absl::Duration limit) {
  const absl::Time end = absl::Now() + limit;
  for (int i = 0; i < kThreads; ++i) {
    if (!WaitFor([&] { return w->last_round_ns[i].load() > since; },
                 end - absl::Now())) {
      return i;
    }
  }
  return -1;
}

// What the kernel says about thread `i` of the workload.
std::string DescribeThread(const Enclave& enclave, const Workload* w, int i) {
  const pid_t tid = w->tid[i].load();
  std::string out = absl::StrCat("thread ", i, " (tid ", tid);
  absl::StatusOr<uint64_t> gtid = GetGtid(tid);
  absl::StatusOr<StatusWordRegion> words = StatusWordRegion::Map(enclave.dir());
  if (!gtid.ok() || !words.ok()) return absl::StrCat(out, ")");
  absl::StrAppend(&out, ", gtid ", *gtid);
  if (std::optional<StatusWord> sw = words->Find(*gtid)) {
    absl::StrAppendFormat(&out, ", word %u: flags %#x, barrier %u", sw->index,
                          sw->flags, sw->barrier);
  }
  absl::StrAppend(&out, ") last ran ",
                  (NowNs() - w->last_round_ns[i].load()) / 1000000, " ms ago");
  return out;
}

// Does the workload still make progress (within `limit`)?
bool Advances(const Workload* w, absl::Duration limit) {
  const uint64_t before = w->rounds.load();
  return WaitFor([&] { return w->rounds.load() > before; }, limit);
}

class AgentKillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(access(AgentFifoProcess::kBinary, X_OK), 0);
    ASSERT_TRUE(EnsureGhostfsMounted(GHOSTFS_MOUNT_POINT).ok());
    DestroyAllEnclaves();
    absl::StatusOr<Enclave> e = Enclave::Create(kId);
    ASSERT_TRUE(e.ok()) << e.status();
    enclave_ = std::make_unique<Enclave>(*e);
    ASSERT_TRUE(enclave_->SetCpus("1-3").ok());
    ASSERT_TRUE(block_.ok()) << block_.status();
    workload_ = block_.get();
  }
  void TearDown() override { DestroyAllEnclaves(); }

  std::unique_ptr<Enclave> enclave_;
  SharedBlock<Workload> block_;  // shared with the workload process
  Workload* workload_ = nullptr;
};

// The 50 kills, as five cases of ten (each with a fresh workload
// of 200 threads), so that each stays inside the runner's per-case budget:
// a replacement agent takes seconds to start under TCG with KASAN.
// GHOST_KILLS changes the kills per case, GHOST_KILL_SEED replays one.
//
// What is checked is that no thread is lost: each runs again after every
// replacement. How soon depends on the host: with other VMs sharing its
// two cores, one FIFO round through 200 threads plus a replacement's
// start took more than the default 10 s watchdog, which then ended the
// enclave of a working agent. So these cases give the watchdog 30 s and a
// thread 20 s after the successor is ready; a lost thread never runs.
// (WithNoNewAgentTheKernelRunsTheThreads: what happens with no successor.)
constexpr char kRoundWatchdogMs[] = "30000";
constexpr absl::Duration kRunAgainWithin = absl::Seconds(20);

class AgentKillRoundTest : public AgentKillTest,
                           public ::testing::WithParamInterface<int> {
 protected:
  void SetUp() override {
    AgentKillTest::SetUp();
    ASSERT_TRUE(WriteGhostfsFile(enclave_->dir() + "/runnable_timeout",
                                 kRoundWatchdogMs)
                    .ok());
  }
};

TEST_P(AgentKillRoundTest, EveryKilledAgentIsReplacedAndNoThreadIsLost) {
  const uint64_t seed =
      EnvOr("GHOST_KILL_SEED", absl::ToUnixNanos(absl::Now()));
  const int kills = static_cast<int>(EnvOr("GHOST_KILLS", 10));
  std::cout << "round " << GetParam() << ": " << kills << " agent kills, seed "
            << seed << " (GHOST_KILL_SEED replays the timing)" << std::endl;
  std::mt19937_64 rng(seed);
  std::unique_ptr<AgentFifoProcess> agent = StartAgent();
  Workload* w = workload_;
  const pid_t workload =
      StartInEnclave(*enclave_, [w] { return RunUntilStopped(w); });
  ASSERT_TRUE(WaitFor([w] { return w->started.load() == kThreads; }));

  int survived = 0;
  int slowest_start_ms = 0;
  for (int i = 0; i < kills; ++i) {
    // A kill at a random moment of the workload (the seed replays it).
    absl::SleepFor(absl::Milliseconds(20 + rng() % 300));
    agent->Signal(SIGKILL);
    (void)agent->WaitExit(absl::Seconds(10));
    const std::string killed_output = agent->output();
    agent = StartAgent();
    const int64_t ready = NowNs();
    slowest_start_ms = std::max(slowest_start_ms, ReadyMs(agent->output()));
    // Gone before or after the kill, the successor could not run it.
    if (access(enclave_->dir().c_str(), F_OK) != 0) {
      ADD_FAILURE() << "kill " << i
                    << ": the enclave is gone: " << LastDestroyed()
                    << "\nthe killed agent said:\n"
                    << killed_output << "\nits successor said:\n"
                    << agent->output();
      break;
    }
    // Every thread runs again after the successor is ready; one that does
    // not was missed, and the agent says (census) what it believes.
    if (const int lag = LaggingThread(w, ready, kRunAgainWithin); lag >= 0) {
      const std::string what = DescribeThread(*enclave_, w, lag);
      agent->Signal(SIGTERM);
      (void)agent->WaitExit(absl::Seconds(20));
      ADD_FAILURE() << "kill " << i << ": the successor does not run " << what
                    << "\nthe killed agent said:\n"
                    << killed_output << "\nits successor said:\n"
                    << agent->output();
      break;
    }
    ++survived;
    if (survived % 5 == 0 && survived < kills) {
      std::cout << "  " << survived << " agents killed and replaced"
                << std::endl;
    }
  }
  std::cout << "round " << GetParam() << ": agent kills survived: " << survived
            << " of " << kills
            << " (slowest successor start: " << slowest_start_ms << " ms)"
            << std::endl;
  EXPECT_EQ(survived, kills);
  absl::StatusOr<std::string> cpus = enclave_->Cpus();
  EXPECT_TRUE(cpus.ok()) << "the enclave outlived every agent";

  w->stop.store(true);
  EXPECT_EQ(FinishInEnclave(workload, absl::Seconds(60)), 0);
  EXPECT_EQ(w->finished.load(), kThreads)
      << "threads lost: " << kThreads - w->finished.load();
  agent->Signal(SIGTERM);
  (void)agent->WaitExit(absl::Seconds(20));
}

INSTANTIATE_TEST_SUITE_P(FiftyKills, AgentKillRoundTest,
                         ::testing::Range(0, 5));

// With no successor, the kernel runs the threads of the CPUs that lost
// their agent itself (bypass, docs/kernel-rules.md): every thread goes on
// making progress, and the watchdog, set to 1 s here, never finds one
// waiting. (Were they left unrun, it would end the enclave within 1.25 s.)
TEST_F(AgentKillTest, WithNoNewAgentTheKernelRunsTheThreads) {
  ASSERT_TRUE(
      WriteGhostfsFile(enclave_->dir() + "/runnable_timeout", "1000").ok());
  std::unique_ptr<AgentFifoProcess> agent = StartAgent();
  Workload* w = workload_;
  const pid_t workload =
      StartInEnclave(*enclave_, [w] { return RunUntilStopped(w); });
  // Whatever fails below, the workload stops and is reaped (a process left
  // behind keeps the runner's output open).
  absl::Cleanup reap = [w, workload] {
    w->stop.store(true);
    (void)FinishInEnclave(workload, absl::Seconds(60));
  };
  ASSERT_TRUE(WaitFor([w] { return w->started.load() == kThreads; }))
      << w->started.load() << " of " << kThreads << " threads started";
  agent->Signal(SIGKILL);
  (void)agent->WaitExit(absl::Seconds(10));
  const int64_t killed = NowNs();
  const int lagging = LaggingThread(w, killed, absl::Seconds(30));
  EXPECT_EQ(lagging, -1) << "no round since the kill: "
                         << (lagging >= 0
                                 ? DescribeThread(*enclave_, w, lagging)
                                 : "");
  EXPECT_EQ(access(enclave_->dir().c_str(), F_OK), 0)
      << "the enclave is gone: " << LastDestroyed();
  std::move(reap).Cancel();
  w->stop.store(true);
  EXPECT_EQ(FinishInEnclave(workload, absl::Seconds(60)), 0);
  EXPECT_EQ(w->finished.load(), kThreads);
}

// CPU-bound threads, shared with their process: each counts its loops.
constexpr int kSpinners = 600;
struct Spinners {
  std::atomic<bool> stop{false};
  std::atomic<int> started{0};
  std::atomic<int> go{0};
  std::atomic<uint64_t> loops[kSpinners] = {};
};

// Each spinner waits (blocked) until all exist: spinning at once, they
// would take the creating thread's turns, and creating 150 would take
// longer than any test deadline.
int SpinUntilStopped(Spinners* s) {
  std::vector<std::thread> threads;
  for (int i = 0; i < kSpinners; ++i) {
    threads.emplace_back([s, i] {
      s->started.fetch_add(1);
      while (s->go.load() == 0) s->go.wait(0);
      while (!s->stop.load(std::memory_order_relaxed)) {
        s->loops[i].fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  s->go.store(1);
  s->go.notify_all();
  for (auto& t : threads) t.join();
  return 0;
}

// Waits until every spinner has looped since `before` was taken.
bool EverySpinnerAdvanced(const Spinners* s,
                          const std::vector<uint64_t>& before,
                          absl::Duration limit) {
  return WaitFor(
      [&] {
        for (int i = 0; i < kSpinners; ++i) {
          if (s->loops[i].load() == before[i]) return false;
        }
        return true;
      },
      limit);
}

std::vector<uint64_t> Loops(const Spinners* s) {
  std::vector<uint64_t> out;
  for (int i = 0; i < kSpinners; ++i) out.push_back(s->loops[i].load());
  return out;
}

// In bypass the kernel runs the threads on the enclave's CPUs itself, 200
// CPU-bound ones per CPU taking turns a tick each, so each waits about 200
// ticks (ms) between turns. That is a busy CPU, not an agent's failure: a
// watchdog of 100 ms must not end the enclave for it (it did, within a
// period, before the watchdog learned about bypass). The test's own
// threads stay on CPU 0 meanwhile: a CFS thread on an enclave CPU is a
// higher class keeping bypass from that CPU, which the watchdog judges.
TEST_F(AgentKillTest, InBypassTheWatchdogLeavesTheKernelsOwnWaitsAlone) {
  SharedBlock<Spinners> block;
  ASSERT_TRUE(block.ok()) << block.status();
  Spinners* s = block.get();
  std::unique_ptr<AgentFifoProcess> agent = StartAgent();
  const pid_t workload =
      StartInEnclave(*enclave_, [s] { return SpinUntilStopped(s); });
  absl::Cleanup reap = [s, workload] {
    s->stop.store(true);
    (void)FinishInEnclave(workload, absl::Seconds(60));
  };
  ASSERT_TRUE(WaitFor([s] { return s->started.load() == kSpinners; }))
      << s->started.load() << " of " << kSpinners << " spinners started";
  // Each spins (the agent ran it once) before the agent dies. The bound
  // only catches a thread that is never run: on the fresh machine of stop
  // 21 some spinner had not run within 30 s, twice (unexplained, see the
  // note); how long it takes is printed.
  const absl::Time first_turns = absl::Now();
  ASSERT_TRUE(EverySpinnerAdvanced(s, std::vector<uint64_t>(kSpinners, 0),
                                   absl::Seconds(120)))
      << "a spinner never ran under the agent";
  std::cout << "every spinner ran once after "
            << absl::Now() - first_turns << "\n";
  const cpu_set_t saved = testing::PinTo(0);
  absl::Cleanup unpin = [saved] {
    sched_setaffinity(0, sizeof(saved), &saved);
  };
  agent->Signal(SIGKILL);
  (void)agent->WaitExit(absl::Seconds(10));
  ASSERT_TRUE(
      WriteGhostfsFile(enclave_->dir() + "/runnable_timeout", "100").ok());
  // Two full turns of every thread after the new timeout: each waited
  // past 100 ms meanwhile, with the watchdog looking every 25 ms.
  for (int turn = 0; turn < 2; ++turn) {
    EXPECT_TRUE(EverySpinnerAdvanced(s, Loops(s), absl::Seconds(30)))
        << "turn " << turn << ": a spinner stopped running";
  }
  EXPECT_EQ(access(enclave_->dir().c_str(), F_OK), 0)
      << "the enclave is gone: " << LastDestroyed();
  std::move(reap).Cancel();
  s->stop.store(true);
  EXPECT_EQ(FinishInEnclave(workload, absl::Seconds(60)), 0);
}

}  // namespace
}  // namespace ghost
