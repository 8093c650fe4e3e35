// ghost_microbench: ghost's scheduling costs against CFS, in one boot
// (docs/benchmarks.md says what each row means and how to run it).
//
//   local schedule   the agent of CPU 1 commits a thread onto CPU 1 and
//                    blocks; the thread runs and yields back. Timed: commit
//                    issued -> the thread sees it runs, and the whole round
//                    trip; vs a CFS futex ping-pong between two threads on
//                    CPU 1 (wake issued -> other thread runs; round trip)
//   remote latch     a spinning agent on CPU 1 commits threads onto 1 and N
//                    other CPUs in one ghost_run() call. Timed: commit issued
//                    -> the last of them sees it runs, and the system call
//                    itself (the agent's cost, per transaction for N); vs a
//                    CFS futex wakeup from CPU 1 to a thread asleep on CPU 2
//   message delivery a ghost thread's event (a nice change made from CPU 0)
//                    -> the agent of CPU 1 has the message, the agent blocked
//                    in ghost_run() or spinning on its queue
//
// Each ghost measurement has an enclave of its own and runs its agent in a
// child process: an agent that shares an address space with the threads it
// schedules can deadlock on it (a ghost thread preempted while it holds the
// mmap lock waits for the agent, and an agent that faults waits for the
// lock). The agent locks its memory (mlockall) and does not allocate on its
// hot path; timestamps and results come back through shared memory.
//
// Every wait is bounded (--wait_limit_ms per wait, --measurement_limit_s per
// measurement). A measurement that cannot finish (its agent was detached,
// the enclave was destroyed, commits keep failing, a thread does not run)
// is reported as FAILED with the reason and the transaction results seen;
// the others still run, and the exit code is 1.
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "experiments/microbench/bench_report.h"
#include "lib/cpu_data_region.h"
#include "lib/enclave.h"
#include "lib/ghost_run.h"
#include "lib/ghostfs_mount.h"
#include "lib/message_queue.h"
#include "lib/status_word_region.h"

ABSL_FLAG(int, rounds, 2000,
          "rounds of the local measurements; the remote and message ones "
          "run a quarter of that");
ABSL_FLAG(std::string, json, "", "also write the results here as JSON");
ABSL_FLAG(int, wait_limit_ms, 5000,
          "longest any single wait may take (a thread to run, a message to "
          "arrive) before its measurement is given up");
ABSL_FLAG(int, measurement_limit_s, 120,
          "longest one measurement may take before it is given up");
ABSL_FLAG(int, runnable_timeout_ms, 30000,
          "the bench enclaves' watchdog timeout (kept above --wait_limit_ms "
          "so the bench notices a stuck thread first and says why)");

namespace ghost {
namespace {

using bench::Row;
using bench::Summarize;
using bench::Summary;

constexpr int kAgentCpu = 1;
constexpr int kMaxWorkers = 8;
constexpr int kMaxSamples = 1 << 16;
// Consecutive commits that fail before a measurement gives up.
constexpr int kMaxConsecutiveFailures = 1000;

uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

pid_t Gettid() { return static_cast<pid_t>(syscall(SYS_gettid)); }

absl::Status Pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) {
    return absl::InternalError(absl::StrCat(
        "cannot pin to CPU ", cpu, ": ", std::strerror(errno),
        " (the bench needs at least 4 CPUs: run the lab with --smp 4)"));
  }
  return absl::OkStatus();
}

// Waits while *word == value, at most `limit_ns` (a spurious or timed-out
// return is fine: callers re-check their condition).
void FutexWaitFor(std::atomic<int>* word, int value, uint64_t limit_ns) {
  timespec ts = {.tv_sec = time_t(limit_ns / 1000000000),
                 .tv_nsec = long(limit_ns % 1000000000)};
  syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, value, &ts, nullptr, 0);
}
void FutexWake(std::atomic<int>* word) {
  syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

uint64_t WaitLimitNs() {
  return uint64_t(absl::GetFlag(FLAGS_wait_limit_ms)) * 1000000;
}
uint64_t MeasurementLimitNs() {
  return uint64_t(absl::GetFlag(FLAGS_measurement_limit_s)) * 1000000000;
}

// The state letter of thread `tid` in /proc ('S' asleep, 'R' running), or
// '?' if it cannot be read.
char ThreadState(pid_t tid) {
  absl::StatusOr<std::string> text =
      ReadGhostfsFile(absl::StrCat("/proc/self/task/", tid, "/stat"));
  if (!text.ok()) return '?';
  const size_t paren = text->rfind(") ");
  return paren == std::string::npos || paren + 2 >= text->size()
             ? '?'
             : (*text)[paren + 2];
}

// Waits until thread `tid` sleeps (bounded).
absl::Status WaitAsleep(pid_t tid, const char* who) {
  const uint64_t end = NowNs() + WaitLimitNs();
  while (ThreadState(tid) != 'S') {
    if (NowNs() > end) {
      return absl::DeadlineExceededError(absl::StrCat(
          who, " (tid ", tid, ") did not fall asleep within ",
          absl::GetFlag(FLAGS_wait_limit_ms), " ms (state '",
          std::string(1, ThreadState(tid)), "')"));
    }
    usleep(50);
  }
  return absl::OkStatus();
}

// --- CFS baselines ---------------------------------------------------------

struct CfsResult {
  std::vector<uint64_t> wake_to_run;  // wake issued -> the wakee runs
  std::vector<uint64_t> round_trip;   // ping-pong only
  std::vector<uint64_t> wake_syscall; // cross-CPU only: futex_wake's time
};

// Two threads on CPU 1 hand a token back and forth through a futex.
absl::StatusOr<CfsResult> CfsPingPong(int rounds) {
  std::atomic<int> turn{0};
  std::atomic<bool> abort{false};
  std::vector<uint64_t> sent(rounds), ran(rounds);
  CfsResult out;
  absl::Status other_status;
  std::thread other([&] {
    other_status = Pin(kAgentCpu);
    for (int i = 0; i < rounds && other_status.ok() && !abort.load(); ++i) {
      while (turn.load() != 1 && !abort.load()) {
        FutexWaitFor(&turn, 0, 100000000);
      }
      ran[i] = NowNs();
      turn.store(0);
      FutexWake(&turn);
    }
  });
  absl::Status status = Pin(kAgentCpu);
  const uint64_t end = NowNs() + MeasurementLimitNs();
  for (int i = 0; i < rounds && status.ok(); ++i) {
    sent[i] = NowNs();
    turn.store(1);
    FutexWake(&turn);
    while (turn.load() != 0) {
      FutexWaitFor(&turn, 1, 100000000);
      if (NowNs() > end) {
        status = absl::DeadlineExceededError(absl::StrCat(
            "round ", i, " of ", rounds, " did not finish within ",
            absl::GetFlag(FLAGS_measurement_limit_s), " s"));
        break;
      }
    }
    if (status.ok()) out.round_trip.push_back(NowNs() - sent[i]);
  }
  abort.store(true);
  turn.store(1);
  FutexWake(&turn);
  other.join();
  (void)Pin(0);
  if (!other_status.ok()) return other_status;
  if (!status.ok()) return status;
  for (int i = 0; i < rounds; ++i) out.wake_to_run.push_back(ran[i] - sent[i]);
  return out;
}

// A thread asleep on CPU 2 is woken from CPU 1.
absl::StatusOr<CfsResult> CfsCrossCpuWakeup(int rounds) {
  std::atomic<int> word{0};
  std::atomic<uint64_t> woke{0};
  std::atomic<int> waiting{0};
  std::atomic<bool> abort{false};
  std::atomic<pid_t> wakee_tid{0};
  absl::Status wakee_status;
  std::thread wakee([&] {
    wakee_status = Pin(2);
    wakee_tid.store(Gettid());
    while (wakee_status.ok() && !abort.load()) {
      waiting.store(1);
      while (word.load() == 0 && !abort.load()) {
        FutexWaitFor(&word, 0, 100000000);
      }
      woke.store(NowNs());
      word.store(0);
    }
  });
  CfsResult out;
  absl::Status status = Pin(kAgentCpu);
  for (int i = 0; i < rounds && status.ok(); ++i) {
    const uint64_t end = NowNs() + WaitLimitNs();
    while (waiting.exchange(0) == 0 && status.ok()) {
      if (NowNs() > end) {
        status = absl::DeadlineExceededError(absl::StrCat(
            "round ", i, ": the wakee did not wait again within ",
            absl::GetFlag(FLAGS_wait_limit_ms), " ms"));
      }
    }
    if (!status.ok()) break;
    // Time the wakeup of a sleeping thread, not a thread on its way to
    // sleep (that would be a cheaper, different path).
    status = WaitAsleep(wakee_tid.load(), "the CFS wakee");
    if (!status.ok()) break;
    woke.store(0);
    const uint64_t t0 = NowNs();
    word.store(1);
    FutexWake(&word);
    const uint64_t t1 = NowNs();
    while (woke.load() == 0) {
      if (NowNs() > t0 + WaitLimitNs()) {
        status = absl::DeadlineExceededError(absl::StrCat(
            "round ", i, ": the woken thread did not run within ",
            absl::GetFlag(FLAGS_wait_limit_ms), " ms"));
        break;
      }
    }
    if (!status.ok()) break;
    out.wake_to_run.push_back(woke.load() - t0);
    out.wake_syscall.push_back(t1 - t0);
  }
  abort.store(true);
  word.store(1);
  FutexWake(&word);
  wakee.join();
  (void)Pin(0);
  if (!wakee_status.ok()) return wakee_status;
  if (!status.ok()) return status;
  return out;
}

// --- ghost: what the bench and its agent process share ----------------------

enum Phase : int { kStarting = 0, kAttached, kDone, kFailed };

// What the agent is doing, for the message when a measurement is given up.
enum Where : int {
  kNowhere = 0,
  kWaitingForGo,
  kWaitingForRunnable,
  kCommitting,
  kWaitingForRun,
  kBlocked,
  kPolling,
};

const char* WhereName(int where) {
  switch (where) {
    case kWaitingForGo: return "waiting for the bench to start it";
    case kWaitingForRunnable: return "waiting for a thread to be runnable";
    case kCommitting: return "in a commit";
    case kWaitingForRun: return "waiting for a latched thread to run";
    case kBlocked: return "blocked in ghost_run()";
    case kPolling: return "polling its queue";
    default: return "starting";
  }
}

// Placed in a MAP_SHARED mapping made before the fork: the bench process
// (its ghost worker threads and its main thread) and the agent process see
// the same memory. Plain fields are written by one side before a release
// store that the other side acquires (go, phase).
struct Shared {
  // The bench -> the agent.
  std::atomic<bool> go{false};
  std::atomic<bool> stop{false};
  int nr_workers = 0;
  uint64_t gtid[kMaxWorkers] = {};
  uint32_t sw_index[kMaxWorkers] = {};
  // Ghost workers -> the agent: when each last saw itself running.
  std::atomic<uint64_t> ran_ns[kMaxWorkers] = {};
  std::atomic<uint64_t> runs[kMaxWorkers] = {};
  // The agent -> the bench.
  std::atomic<int> phase{kStarting};
  std::atomic<int> where{kNowhere};
  std::atomic<int> round{0};
  std::atomic<int> received{0};    // messages measured (delivery test)
  std::atomic<int> blocking{0};    // 1: about to block / blocked
  std::atomic<uint64_t> lost_rounds{0};  // latched, ran, but no timestamp
  std::atomic<uint64_t> results[GHOST_TXN_NR_RESULTS] = {};
  std::atomic<uint64_t> commit_errors{0};
  int nr_samples = 0;
  uint64_t a[kMaxSamples];  // the primary sample of each round
  uint64_t b[kMaxSamples];  // a second one (system call time, round trip)
  char error[512] = {};
};

// The transaction results an agent saw, "COMPLETE 500, TARGET_STALE 2".
std::string ResultCounts(const Shared& s) {
  std::string out;
  for (int i = 0; i < GHOST_TXN_NR_RESULTS; ++i) {
    if (uint64_t n = s.results[i].load()) {
      absl::StrAppend(&out, out.empty() ? "" : ", ",
                      TxnResultName(GHOST_TXN_COMPLETE + i), " ", n);
    }
  }
  if (uint64_t n = s.commit_errors.load()) {
    absl::StrAppend(&out, out.empty() ? "" : ", ", "failed calls ", n);
  }
  return out.empty() ? "none" : out;
}

// The last line of /sys/fs/ghost/destroyed ("<id> <reason>"), or "".
std::string LastDestroyed() {
  absl::StatusOr<std::string> text =
      ReadGhostfsFile(absl::StrCat(GHOSTFS_MOUNT_POINT, "/destroyed"));
  if (!text.ok()) return "";
  std::vector<std::string> lines =
      absl::StrSplit(*text, '\n', absl::SkipEmpty());
  return lines.empty() ? "" : lines.back();
}

// An enclave for one measurement and the shared memory its agent uses.
struct Lab {
  std::unique_ptr<Enclave> enclave;
  Fd dir;
  std::unique_ptr<MessageQueue> queue;
  std::unique_ptr<CpuDataRegion> cpu_data;
  std::unique_ptr<StatusWordRegion> words;
};

absl::StatusOr<Lab> MakeLab(unsigned int id, bool wake_agent) {
  Lab lab;
  // A leftover of an earlier run of the bench.
  (void)WriteGhostfsFile(absl::StrCat(GHOSTFS_MOUNT_POINT, "/ctl"),
                         absl::StrCat("destroy ", id));
  absl::StatusOr<Enclave> e = Enclave::Create(id);
  if (!e.ok()) return e.status();
  lab.enclave = std::make_unique<Enclave>(*e);
  if (absl::Status s = lab.enclave->SetCpus("1-3"); !s.ok()) return s;
  if (absl::Status s = WriteGhostfsFile(
          absl::StrCat(lab.enclave->dir(), "/runnable_timeout"),
          absl::StrCat(absl::GetFlag(FLAGS_runnable_timeout_ms)));
      !s.ok()) {
    return s;
  }
  absl::StatusOr<Fd> dir = OpenEnclaveDir(lab.enclave->dir());
  if (!dir.ok()) return dir.status();
  lab.dir = std::move(*dir);
  absl::StatusOr<MessageQueue> q =
      MessageQueue::Create(lab.dir.get(), 4096, MessageQueue::kDefault);
  if (!q.ok()) return q.status();
  lab.queue = std::make_unique<MessageQueue>(std::move(*q));
  if (wake_agent) {
    const int wake[] = {kAgentCpu};
    if (absl::Status s = lab.queue->SetWakeupCpus(wake); !s.ok()) return s;
  }
  absl::StatusOr<CpuDataRegion> cpu_data =
      CpuDataRegion::Map(lab.enclave->dir());
  if (!cpu_data.ok()) return cpu_data.status();
  lab.cpu_data = std::make_unique<CpuDataRegion>(std::move(*cpu_data));
  absl::StatusOr<StatusWordRegion> words =
      StatusWordRegion::Map(lab.enclave->dir());
  if (!words.ok()) return words.status();
  lab.words = std::make_unique<StatusWordRegion>(std::move(*words));
  return lab;
}

// --- ghost: the agent process ------------------------------------------------

// What an agent body works with. Lives in the agent process.
class AgentContext {
 public:
  AgentContext(Lab& lab, Shared* shared, uint32_t sw_index, int rounds)
      : lab_(lab),
        shared_(shared),
        sw_index_(sw_index),
        rounds_(rounds),
        wait_limit_ns_(WaitLimitNs()),
        deadline_(NowNs() + MeasurementLimitNs()) {}

  Lab& lab() { return lab_; }
  Shared& shared() { return *shared_; }
  int rounds() const { return std::min(rounds_, kMaxSamples); }
  uint32_t agent_barrier() const { return lab_.words->Read(sw_index_).barrier; }
  StatusWord worker(int i) const {
    return lab_.words->Read(shared_->sw_index[i]);
  }
  void At(Where where) { shared_->where.store(where, std::memory_order_relaxed); }

  // Why the agent must stop now, or OK. Cheap enough for every wait loop
  // iteration except the enclave check, which runs at most every 50 ms.
  absl::Status Check() {
    if (shared_->stop.load(std::memory_order_relaxed)) {
      return absl::CancelledError("the bench told the agent to stop");
    }
    const uint64_t now = NowNs();
    if (now > deadline_) {
      return absl::DeadlineExceededError(absl::StrCat(
          "the measurement did not finish within ",
          absl::GetFlag(FLAGS_measurement_limit_s), " s"));
    }
    if (now > last_enclave_check_ + 50000000) {
      last_enclave_check_ = now;
      if (access(lab_.enclave->dir().c_str(), F_OK) != 0) {
        return absl::AbortedError(absl::StrCat(
            "the enclave was destroyed under the agent (", LastDestroyed(),
            ")"));
      }
    }
    return absl::OkStatus();
  }

  // Spins until `done()` (bounded by the wait limit and Check()).
  template <typename Done>
  absl::Status SpinUntil(Done done, const char* what) {
    const uint64_t end = NowNs() + wait_limit_ns_;
    while (!done()) {
      if (absl::Status s = Check(); !s.ok()) return s;
      if (NowNs() > end) {
        return absl::DeadlineExceededError(
            absl::StrCat(what, ": not within ",
                         absl::GetFlag(FLAGS_wait_limit_ms), " ms"));
      }
    }
    return absl::OkStatus();
  }

  // Blocks in ghost_run() until an event for the agent's CPU. A stale
  // barrier or a signal returns at once (look again); a detached agent is
  // an error.
  absl::Status Block(uint32_t barrier) {
    At(kBlocked);
    absl::Status s = BlockAgent(barrier);
    // OK: woken; FailedPrecondition: a stale barrier; Unavailable: EINTR
    // (the bench's nudge). EINVAL or EPERM: not an agent any more.
    if (s.ok() || s.code() == absl::StatusCode::kFailedPrecondition ||
        s.code() == absl::StatusCode::kUnavailable) {
      return Check();
    }
    return absl::AbortedError(absl::StrCat(
        "the agent is not an agent any more (", s.message(),
        "): the enclave was destroyed or the agent detached; ",
        LastDestroyed()));
  }

  void CountResult(int32_t result) {
    if (result >= GHOST_TXN_COMPLETE &&
        result < GHOST_TXN_COMPLETE + GHOST_TXN_NR_RESULTS) {
      shared_->results[result - GHOST_TXN_COMPLETE].fetch_add(1);
    }
  }

  // Counts a failed commit; an error once too many failed in a row.
  absl::Status Failed(int32_t result, int* consecutive) {
    if (result == GHOST_TXN_NO_AGENT) {
      return absl::AbortedError(
          "a commit found no agent (NO_AGENT): this agent was detached");
    }
    if (++*consecutive >= kMaxConsecutiveFailures) {
      return absl::AbortedError(absl::StrCat(
          *consecutive, " commits in a row failed, the last with ",
          TxnResultName(result)));
    }
    return absl::OkStatus();
  }

  void Sample(uint64_t a, uint64_t b) {
    Shared& s = *shared_;
    if (s.nr_samples < kMaxSamples) {
      s.a[s.nr_samples] = a;
      s.b[s.nr_samples] = b;
      ++s.nr_samples;
    }
    s.round.store(s.nr_samples, std::memory_order_relaxed);
  }

  void DrainQueue() {
    ghost_msg m;
    while (lab_.queue->ring().Pop(&m)) {
    }
  }

 private:
  Lab& lab_;
  Shared* shared_;
  uint32_t sw_index_;
  int rounds_;
  uint64_t wait_limit_ns_;
  uint64_t deadline_;
  uint64_t last_enclave_check_ = 0;
};

using AgentBody = std::function<absl::Status(AgentContext&)>;

bool RunnableOffCpu(const StatusWord& w) { return w.runnable() && !w.on_cpu(); }

// Local schedule: commit worker 0 onto the agent's own CPU with
// GHOST_COMMIT_F_BLOCK; the worker runs (timestamp), yields, and its
// yield wakes the agent (timestamp). Sample a: commit issued -> the worker
// runs; b: the round trip back to the agent.
absl::Status LocalScheduleAgent(AgentContext& ctx) {
  Shared& s = ctx.shared();
  const uint32_t flags = GHOST_RUN_F_WAKE_ON_YIELD | GHOST_RUN_F_WAKE_ON_BLOCK |
                         GHOST_RUN_F_WAKE_ON_PREEMPT;
  const int cpu = kAgentCpu;
  ghost_txn* txn = ctx.lab().cpu_data->txn(cpu);
  int failures = 0;
  while (s.nr_samples < ctx.rounds()) {
    if (absl::Status st = ctx.Check(); !st.ok()) return st;
    const uint32_t barrier = ctx.agent_barrier();
    ctx.DrainQueue();
    const StatusWord w = ctx.worker(0);
    if (!RunnableOffCpu(w)) {
      // A message (the queue wakes this CPU) or the latched thread
      // leaving the CPU wakes us.
      ctx.At(kWaitingForRunnable);
      if (absl::Status st = ctx.Block(barrier); !st.ok()) return st;
      continue;
    }
    const uint64_t runs = s.runs[0].load();
    CpuDataRegion::Fill(txn, s.gtid[0], w.barrier, barrier, flags);
    ctx.At(kCommitting);
    const uint64_t t0 = NowNs();
    absl::StatusOr<int> done = Commit(&cpu, 1, GHOST_COMMIT_F_BLOCK, barrier);
    uint64_t t1 = NowNs();
    const int32_t result = CpuDataRegion::Result(txn);
    ctx.CountResult(result);
    if (!done.ok() && result == GHOST_TXN_READY) {
      s.commit_errors.fetch_add(1);
      return absl::AbortedError(
          absl::StrCat("the commit call failed: ", done.status().message()));
    }
    if (result != GHOST_TXN_COMPLETE) {
      if (absl::Status st = ctx.Failed(result, &failures); !st.ok()) return st;
      continue;
    }
    failures = 0;
    // Woken before the worker ran (e.g. a stale barrier ended the block at
    // once): wait for it to have run and left the CPU.
    ctx.At(kWaitingForRun);
    const uint64_t end = t1 + WaitLimitNs();
    while (s.runs[0].load() == runs) {
      const uint32_t b = ctx.agent_barrier();
      if (s.runs[0].load() != runs) break;
      const StatusWord now = ctx.worker(0);
      if (now.barrier != w.barrier && RunnableOffCpu(now) &&
          s.runs[0].load() == runs) {
        break;  // it left the CPU again without a timestamp (preempted)
      }
      if (NowNs() > end) {
        return absl::DeadlineExceededError(absl::StrCat(
            "the latched thread did not run within ",
            absl::GetFlag(FLAGS_wait_limit_ms), " ms"));
      }
      if (absl::Status st = ctx.Block(b); !st.ok()) return st;
      t1 = NowNs();
    }
    if (s.runs[0].load() == runs) {
      s.lost_rounds.fetch_add(1);
      continue;
    }
    const uint64_t ran = s.ran_ns[0].load();
    ctx.Sample(ran - t0, t1 - t0);
  }
  return absl::OkStatus();
}

// Remote latch: the workers 0..n-1 on CPUs 2..n+1, committed in one call
// by an agent that spins (no wakeups). Sample a: commit issued -> the last
// of them runs; b: the commit system call.
absl::Status RemoteLatchAgent(AgentContext& ctx) {
  Shared& s = ctx.shared();
  const int n = s.nr_workers;
  int cpus[kMaxWorkers];
  uint32_t barriers[kMaxWorkers];
  uint64_t runs[kMaxWorkers];
  for (int i = 0; i < n; ++i) cpus[i] = 2 + i;
  int failures = 0;
  while (s.nr_samples < ctx.rounds()) {
    ctx.DrainQueue();
    ctx.At(kWaitingForRunnable);
    for (int i = 0; i < n; ++i) {
      if (absl::Status st = ctx.SpinUntil(
              [&] { return RunnableOffCpu(ctx.worker(i)); },
              "a worker to be runnable and off its CPU");
          !st.ok()) {
        return st;
      }
    }
    for (int i = 0; i < n; ++i) {
      const StatusWord w = ctx.worker(i);
      barriers[i] = w.barrier;
      runs[i] = s.runs[i].load();
      CpuDataRegion::Fill(ctx.lab().cpu_data->txn(cpus[i]), s.gtid[i],
                          w.barrier, 0, 0);
    }
    ctx.At(kCommitting);
    const uint64_t t0 = NowNs();
    absl::StatusOr<int> done = Commit(cpus, n, 0);
    const uint64_t t1 = NowNs();
    if (!done.ok()) {
      s.commit_errors.fetch_add(1);
      return absl::AbortedError(
          absl::StrCat("the commit call failed: ", done.status().message()));
    }
    bool all = true;
    int32_t bad = GHOST_TXN_COMPLETE;
    for (int i = 0; i < n; ++i) {
      const int32_t r = CpuDataRegion::Result(ctx.lab().cpu_data->txn(cpus[i]));
      ctx.CountResult(r);
      if (r != GHOST_TXN_COMPLETE) {
        all = false;
        bad = r;
      }
    }
    ctx.At(kWaitingForRun);
    // Every latched worker runs (and yields) before the next round; a
    // worker that left its CPU again without a timestamp (preempted between
    // its yield and its timestamp) makes the round lost, not the bench stuck.
    uint64_t last = 0;
    bool lost = false;
    for (int i = 0; i < n; ++i) {
      if (CpuDataRegion::Result(ctx.lab().cpu_data->txn(cpus[i])) !=
          GHOST_TXN_COMPLETE) {
        continue;
      }
      if (absl::Status st = ctx.SpinUntil(
              [&] {
                if (s.runs[i].load() != runs[i]) return true;
                const StatusWord w = ctx.worker(i);
                if (w.barrier != barriers[i] && RunnableOffCpu(w) &&
                    s.runs[i].load() == runs[i]) {
                  lost = true;
                  return true;
                }
                return false;
              },
              "a latched worker to run");
          !st.ok()) {
        return st;
      }
      if (s.runs[i].load() != runs[i]) {
        last = std::max<uint64_t>(last, s.ran_ns[i].load());
      }
    }
    if (!all) {
      if (absl::Status st = ctx.Failed(bad, &failures); !st.ok()) return st;
      continue;
    }
    failures = 0;
    if (lost) {
      s.lost_rounds.fetch_add(1);
      continue;
    }
    ctx.Sample(last - t0, t1 - t0);
  }
  return absl::OkStatus();
}

// Message delivery: the bench changes worker 0's nice value from CPU 0;
// sample a: the event's time (in the message) -> the agent has it.
absl::Status MessageAgent(AgentContext& ctx, bool spinning) {
  Shared& s = ctx.shared();
  while (s.nr_samples < ctx.rounds()) {
    const uint32_t barrier = ctx.agent_barrier();
    bool got = false;
    ghost_msg m;
    while (ctx.lab().queue->ring().Pop(&m)) {
      if (m.type == GHOST_MSG_PRIORITY_CHANGED && m.gtid == s.gtid[0]) {
        const uint64_t now = NowNs();
        ctx.Sample(now - m.time, 0);
        got = true;
      }
    }
    if (got) {
      s.received.store(s.nr_samples);
      continue;
    }
    if (spinning) {
      ctx.At(kPolling);
      if (absl::Status st = ctx.Check(); !st.ok()) return st;
      continue;
    }
    s.blocking.store(1);
    absl::Status st = ctx.Block(barrier);
    s.blocking.store(0);
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

// Interrupts the agent's ghost_run() sleep (EINTR) so it sees `stop`.
void Nudge(int) {}

// Touches `bytes` of stack so that the agent's calls do not fault on it.
__attribute__((noinline)) void PrefaultStack(size_t bytes) {
  volatile char buf[256 * 1024];
  for (size_t i = 0; i < bytes && i < sizeof(buf); i += 4096) buf[i] = 0;
}

// The agent process: attach, lock memory, wait for the bench, run `body`.
[[noreturn]] void AgentMain(Lab& lab, Shared* shared, int rounds,
                            const AgentBody& body) {
  struct sigaction nudge = {};
  nudge.sa_handler = Nudge;  // no SA_RESTART: ghost_run() returns EINTR
  sigaction(SIGUSR1, &nudge, nullptr);
  auto fail = [&](const absl::Status& s) {
    std::snprintf(shared->error, sizeof(shared->error), "%s",
                  std::string(s.message()).c_str());
    shared->phase.store(kFailed);
    _exit(1);
  };
  if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
    fail(absl::InternalError(absl::StrCat(
        "mlockall: ", std::strerror(errno),
        " (the agent must not fault: raise RLIMIT_MEMLOCK or run as root)")));
  }
  PrefaultStack(256 * 1024);
  absl::StatusOr<uint32_t> sw = AttachAgent(lab.dir.get(), kAgentCpu);
  if (!sw.ok()) fail(sw.status());
  AgentContext ctx(lab, shared, *sw, rounds);
  shared->phase.store(kAttached);
  ctx.At(kWaitingForGo);
  while (!shared->go.load()) {
    if (absl::Status s = ctx.Check(); !s.ok()) fail(s);
    usleep(100);  // the agent class runs us; let the bench's setup run too
  }
  if (absl::Status s = body(ctx); !s.ok()) fail(s);
  shared->phase.store(kDone);
  _exit(0);
}

// --- ghost: the bench side ---------------------------------------------------

// A ghost thread of the bench process: waits at a gate, then runs `body`.
struct Worker {
  std::atomic<pid_t> tid{0};
  std::atomic<int> gate{0};
  std::thread thread;
  uint64_t gtid = 0;
};

enum class WorkerKind { kYielder, kSleeper };

// How one ghost measurement is set up.
struct GhostSpec {
  const char* name;
  unsigned int enclave_id;
  bool wake_agent;  // the default queue wakes the agent's CPU
  int nr_workers;
  WorkerKind workers;
  int rounds;
  AgentBody agent;
  // Runs in the bench's main thread while the agent measures (the message
  // test makes the events here); may be empty.
  std::function<absl::Status(Shared&, std::vector<std::unique_ptr<Worker>>&)>
      driver;
};

struct GhostResult {
  std::vector<uint64_t> a, b;
  uint64_t lost_rounds = 0;
  std::string results;  // transaction results seen
};

class GhostMeasurement {
 public:
  explicit GhostMeasurement(const GhostSpec& spec) : spec_(spec) {}
  ~GhostMeasurement() {
    TearDown();
    if (shared_ != nullptr) {
      shared_->~Shared();
      munmap(shared_, sizeof(Shared));
    }
  }

  absl::StatusOr<GhostResult> Run() {
    absl::Status s = RunSteps();
    const std::string where = shared_ ? WhereName(shared_->where.load()) : "";
    TearDown();
    if (!s.ok()) {
      std::string text(s.message());
      if (shared_ != nullptr) {
        absl::StrAppend(&text, "; the agent was ", where, " after ",
                        shared_->nr_samples, " of ", spec_.rounds,
                        " rounds; transaction results: ", ResultCounts(*shared_),
                        "; lost rounds: ", shared_->lost_rounds.load());
      }
      return absl::Status(s.code(), text);
    }
    GhostResult r;
    r.a.assign(shared_->a, shared_->a + shared_->nr_samples);
    r.b.assign(shared_->b, shared_->b + shared_->nr_samples);
    r.lost_rounds = shared_->lost_rounds.load();
    r.results = ResultCounts(*shared_);
    return r;
  }

 private:
  absl::Status RunSteps() {
    void* mem = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
      return absl::ResourceExhaustedError(
          absl::StrCat("mmap of the shared memory: ", std::strerror(errno)));
    }
    shared_ = new (mem) Shared();
    shared_->nr_workers = spec_.nr_workers;

    absl::StatusOr<Lab> lab = MakeLab(spec_.enclave_id, spec_.wake_agent);
    if (!lab.ok()) {
      return absl::Status(lab.status().code(),
                          absl::StrCat("setting up the enclave: ",
                                       lab.status().message()));
    }
    lab_ = std::make_unique<Lab>(std::move(*lab));

    // The agent first, before the bench has threads: the child is a copy
    // of a single-threaded process.
    agent_pid_ = fork();
    if (agent_pid_ < 0) {
      return absl::ResourceExhaustedError(
          absl::StrCat("fork of the agent: ", std::strerror(errno)));
    }
    if (agent_pid_ == 0) AgentMain(*lab_, shared_, spec_.rounds, spec_.agent);
    if (absl::Status s = WaitPhase(kAttached, 10000000000); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("attaching the agent: ",
                                                 s.message()));
    }

    for (int i = 0; i < spec_.nr_workers; ++i) {
      if (absl::Status s = StartWorker(i); !s.ok()) return s;
    }
    shared_->go.store(true);
    if (spec_.workers == WorkerKind::kYielder) {
      for (auto& w : workers_) {
        w->gate.store(1);
        w->gate.notify_all();
      }
    }
    if (spec_.driver) {
      if (absl::Status s = spec_.driver(*shared_, workers_); !s.ok()) {
        // The agent's own reason, if it has one, says more.
        if (shared_->phase.load() == kFailed) return AgentFailure();
        return s;
      }
    }
    return WaitPhase(kDone,
                     MeasurementLimitNs() + 10000000000);  // the agent bounds it
  }

  absl::Status AgentFailure() {
    return absl::AbortedError(absl::StrCat("the agent gave up: ",
                                           shared_->error));
  }

  // Waits for the agent to reach `phase` (bounded), watching the enclave
  // and the agent process.
  absl::Status WaitPhase(int phase, uint64_t limit_ns) {
    const uint64_t end = NowNs() + limit_ns;
    while (shared_->phase.load() != phase) {
      if (shared_->phase.load() == kFailed) return AgentFailure();
      int status;
      if (waitpid(agent_pid_, &status, WNOHANG) == agent_pid_) {
        agent_pid_ = -1;
        if (shared_->phase.load() == phase) break;
        if (shared_->phase.load() == kFailed) return AgentFailure();
        return absl::AbortedError(absl::StrCat(
            "the agent process ended early (",
            WIFSIGNALED(status)
                ? absl::StrCat("killed by signal ", WTERMSIG(status))
                : absl::StrCat("exit code ", WEXITSTATUS(status)),
            ")"));
      }
      if (NowNs() > end) {
        return absl::DeadlineExceededError(absl::StrCat(
            "the agent did not finish within ", limit_ns / 1000000000, " s"));
      }
      usleep(1000);
    }
    return absl::OkStatus();
  }

  absl::Status StartWorker(int i) {
    auto w = std::make_unique<Worker>();
    Worker* wp = w.get();
    Shared* shared = shared_;
    const WorkerKind kind = spec_.workers;
    std::atomic<bool>* stop = &stop_workers_;
    wp->thread = std::thread([wp, shared, kind, stop, i] {
      // The bench's main thread is pinned to CPU 0; the workers may use
      // the enclave's CPUs.
      cpu_set_t set;
      CPU_ZERO(&set);
      for (int cpu = 1; cpu <= 3; ++cpu) CPU_SET(cpu, &set);
      sched_setaffinity(0, sizeof(set), &set);
      wp->tid.store(Gettid());
      // No timeout for a sleeper: a timed wait would wake it (a WAKEUP,
      // and a runnable thread that no agent runs). Yielders are let go
      // once the agent runs; a sleeper stays asleep (the bench changes its
      // nice value) until TearDown(), after the enclave is gone, opens the
      // gate.
      while (wp->gate.load() == 0) wp->gate.wait(0);
      if (kind == WorkerKind::kSleeper) return;
      // Every return from sched_yield() is a latch by the agent.
      while (!stop->load()) {
        shared->ran_ns[i].store(NowNs());
        shared->runs[i].fetch_add(1);
        sched_yield();
      }
    });
    workers_.push_back(std::move(w));
    const uint64_t end = NowNs() + WaitLimitNs();
    while (wp->tid.load() == 0) {
      if (NowNs() > end) {
        return absl::DeadlineExceededError("a worker thread did not start");
      }
      usleep(100);
    }
    // Moved in asleep: a thread that enters running keeps its CPU (K2).
    if (absl::Status s = WaitAsleep(wp->tid.load(), "a worker"); !s.ok()) {
      return s;
    }
    if (absl::Status s = lab_->enclave->AddTask(wp->tid.load()); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("moving a worker in: ",
                                                 s.message()));
    }
    absl::StatusOr<uint64_t> gtid = GetGtid(wp->tid.load());
    if (!gtid.ok()) return gtid.status();
    wp->gtid = *gtid;
    absl::StatusOr<StatusWordLocation> where =
        FindStatusWord(lab_->dir.get(), *gtid);
    if (!where.ok()) return where.status();
    shared_->gtid[i] = *gtid;
    shared_->sw_index[i] = where->index;
    return absl::OkStatus();
  }

  // Stops the agent (bounded, then SIGKILL), destroys the enclave (its
  // threads go back to CFS) and joins the workers.
  void TearDown() {
    if (shared_ != nullptr) shared_->stop.store(true);
    if (agent_pid_ > 0) {
      int status;
      for (int i = 0; i < 300 && waitpid(agent_pid_, &status, WNOHANG) == 0;
           ++i) {
        kill(agent_pid_, SIGUSR1);
        usleep(10000);
      }
      if (waitpid(agent_pid_, &status, WNOHANG) == 0) {
        std::fprintf(stderr,
                     "ghost_microbench: %s: the agent did not stop in 3 s; "
                     "killing it\n",
                     spec_.name);
        kill(agent_pid_, SIGKILL);
        waitpid(agent_pid_, &status, 0);
      }
      agent_pid_ = -1;
    }
    if (lab_ != nullptr) {
      (void)lab_->enclave->Destroy();  // may be gone already
      lab_.reset();
    }
    stop_workers_.store(true);
    for (auto& w : workers_) {
      w->gate.store(1);
      w->gate.notify_all();
      if (w->thread.joinable()) w->thread.join();
    }
    workers_.clear();
  }

  GhostSpec spec_;
  Shared* shared_ = nullptr;  // in its own MAP_SHARED mapping
  std::unique_ptr<Lab> lab_;
  pid_t agent_pid_ = -1;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<bool> stop_workers_{false};
};

// The bench's side of the message test: nice changes of the worker, asleep
// in the enclave all along, one at a time, each waited for (bounded).
absl::Status MessageDriver(bool spinning, int rounds, Shared& s,
                           std::vector<std::unique_ptr<Worker>>& workers) {
  const pid_t tid = workers[0]->tid.load();
  for (int i = 0; i < rounds; ++i) {
    if (s.phase.load() == kFailed) return absl::AbortedError("agent failed");
    if (!spinning) {
      const uint64_t end = NowNs() + WaitLimitNs();
      while (s.blocking.load() == 0) {
        if (NowNs() > end || s.phase.load() == kFailed) {
          return absl::DeadlineExceededError(absl::StrCat(
              "round ", i, ": the agent did not block within ",
              absl::GetFlag(FLAGS_wait_limit_ms), " ms"));
        }
      }
      usleep(1000);  // it is asleep in ghost_run() by now
    }
    const int before = s.received.load();
    if (setpriority(PRIO_PROCESS, tid, 1 + i % 2) != 0) {
      return absl::InternalError(absl::StrCat(
          "setpriority of the ghost worker: ", std::strerror(errno)));
    }
    const uint64_t end = NowNs() + WaitLimitNs();
    while (s.received.load() == before) {
      if (NowNs() > end || s.phase.load() == kFailed) {
        return absl::DeadlineExceededError(absl::StrCat(
            "round ", i, ": the agent did not get the message within ",
            absl::GetFlag(FLAGS_wait_limit_ms), " ms"));
      }
    }
  }
  return absl::OkStatus();
}

std::vector<uint64_t> PerTransaction(const std::vector<uint64_t>& v, int n) {
  std::vector<uint64_t> out;
  for (uint64_t x : v) out.push_back(x / n);
  return out;
}

int Main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  setvbuf(stdout, nullptr, _IONBF, 0);
  const int rounds = absl::GetFlag(FLAGS_rounds);
  if (rounds < 4 || rounds / 4 > kMaxSamples) {
    std::fprintf(stderr, "ghost_microbench: --rounds must be 4..%d\n",
                 kMaxSamples * 4);
    return 2;
  }
  if (absl::Status s = EnsureGhostfsMounted(GHOSTFS_MOUNT_POINT); !s.ok()) {
    std::fprintf(stderr, "ghost_microbench: %s\n",
                 std::string(s.message()).c_str());
    return 1;
  }
  const int nr_cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  if (nr_cpus < 4) {
    std::fprintf(stderr,
                 "ghost_microbench: needs 4 CPUs (CPU 0 for the bench, 1 for "
                 "the agent, 2-3 for remote threads), this system has %d: "
                 "run the lab with --smp 4\n",
                 nr_cpus);
    return 1;
  }
  if (absl::Status s = Pin(0); !s.ok()) {
    std::fprintf(stderr, "ghost_microbench: %s\n",
                 std::string(s.message()).c_str());
    return 1;
  }
  const int remote_n = 2;  // CPUs 2 and 3: the enclave is 1-3
  const int quarter = rounds / 4;

  std::vector<Row> rows;
  bool failed = false;
  auto note = [&](const char* what, const absl::Status& s) {
    std::printf("  %s: FAILED: %s\n", what, std::string(s.message()).c_str());
    failed = true;
  };

  std::printf("measuring: CFS ping-pong on CPU 1 (%d rounds)\n", rounds);
  Summary cfs_local_wake, cfs_round_trip;
  std::string cfs_pingpong_failure;
  if (absl::StatusOr<CfsResult> r = CfsPingPong(rounds); r.ok()) {
    cfs_local_wake = Summarize(r->wake_to_run);
    cfs_round_trip = Summarize(r->round_trip);
  } else {
    note("CFS ping-pong", r.status());
    cfs_pingpong_failure = std::string(r.status().message());
  }
  std::printf("measuring: CFS wakeup CPU 1 -> CPU 2 (%d rounds)\n", quarter);
  Summary cfs_remote_wake, cfs_wake_syscall;
  std::string cfs_wakeup_failure;
  if (absl::StatusOr<CfsResult> r = CfsCrossCpuWakeup(quarter); r.ok()) {
    cfs_remote_wake = Summarize(r->wake_to_run);
    cfs_wake_syscall = Summarize(r->wake_syscall);
  } else {
    note("CFS cross-CPU wakeup", r.status());
    cfs_wakeup_failure = std::string(r.status().message());
  }

  auto ghost = [&](const GhostSpec& spec) -> absl::StatusOr<GhostResult> {
    std::printf("measuring: %s (%d rounds)\n", spec.name, spec.rounds);
    const uint64_t t0 = NowNs();
    absl::StatusOr<GhostResult> r = GhostMeasurement(spec).Run();
    if (!r.ok()) {
      note(spec.name, r.status());
    } else {
      std::printf("  %zu samples in %.1f s; transaction results: %s; lost "
                  "rounds: %lu\n",
                  r->a.size(), double(NowNs() - t0) / 1e9, r->results.c_str(),
                  static_cast<unsigned long>(r->lost_rounds));
    }
    return r;
  };
  // A row from a measurement, or the reason it has no value.
  auto row = [](std::string name, const absl::StatusOr<GhostResult>& r,
                const std::vector<uint64_t> GhostResult::*which,
                std::string baseline_name, Summary baseline,
                const std::string& baseline_failure) {
    Row out;
    out.name = std::move(name);
    if (!r.ok()) {
      out.failure = std::string(r.status().message());
      return out;
    }
    out.value = Summarize((*r).*which);
    out.baseline_name = std::move(baseline_name);
    out.baseline = baseline;
    if (!out.baseline_name.empty() && baseline.count == 0) {
      out.baseline_name += " (failed: " + baseline_failure + ")";
    }
    return out;
  };

  const absl::StatusOr<GhostResult> local = ghost(
      {.name = "ghost local schedule on CPU 1",
       .enclave_id = 40,
       .wake_agent = true,
       .nr_workers = 1,
       .workers = WorkerKind::kYielder,
       .rounds = rounds,
       .agent = LocalScheduleAgent});
  rows.push_back(row("local: commit -> thread runs", local, &GhostResult::a,
                     "CFS: wake -> runs, 1 CPU", cfs_local_wake,
                     cfs_pingpong_failure));
  rows.push_back(row("local: round trip (agent..agent)", local,
                     &GhostResult::b, "CFS: ping-pong round trip",
                     cfs_round_trip, cfs_pingpong_failure));

  const absl::StatusOr<GhostResult> remote1 = ghost(
      {.name = "ghost remote latch, 1 CPU",
       .enclave_id = 41,
       .wake_agent = false,
       .nr_workers = 1,
       .workers = WorkerKind::kYielder,
       .rounds = quarter,
       .agent = RemoteLatchAgent});
  absl::StatusOr<GhostResult> remote_n_result = ghost(
      {.name = "ghost remote latch, 2 CPUs in one commit",
       .enclave_id = 43,
       .wake_agent = false,
       .nr_workers = remote_n,
       .workers = WorkerKind::kYielder,
       .rounds = quarter,
       .agent = RemoteLatchAgent});
  rows.push_back(row("remote x1: commit -> thread runs", remote1,
                     &GhostResult::a, "CFS: wake -> runs, CPU 1->2",
                     cfs_remote_wake, cfs_wakeup_failure));
  rows.push_back(row(absl::StrCat("remote x", remote_n,
                                  ": commit -> last runs"),
                     remote_n_result, &GhostResult::a,
                     "CFS: wake -> runs, CPU 1->2", cfs_remote_wake,
                     cfs_wakeup_failure));
  rows.push_back(row("remote x1: commit syscall", remote1, &GhostResult::b,
                     "CFS: futex_wake syscall", cfs_wake_syscall,
                     cfs_wakeup_failure));
  {
    // The group commit's cost per transaction against a commit of one.
    absl::StatusOr<GhostResult> per_txn = remote_n_result;
    if (per_txn.ok()) per_txn->b = PerTransaction(per_txn->b, remote_n);
    Summary single;
    std::string single_failure;
    if (remote1.ok()) {
      single = Summarize(remote1->b);
    } else {
      single_failure = std::string(remote1.status().message());
    }
    rows.push_back(row(absl::StrCat("remote x", remote_n,
                                    ": commit syscall / txn"),
                       per_txn, &GhostResult::b, "ghost: commit syscall x1",
                       single, single_failure));
  }

  const absl::StatusOr<GhostResult> blocked = ghost(
      {.name = "message to a blocked agent",
       .enclave_id = 42,
       .wake_agent = true,
       .nr_workers = 1,
       .workers = WorkerKind::kSleeper,
       .rounds = quarter,
       .agent = [](AgentContext& c) { return MessageAgent(c, false); },
       .driver = [quarter](Shared& s, auto& w) {
         return MessageDriver(false, quarter, s, w);
       }});
  rows.push_back(row("message -> blocked agent", blocked, &GhostResult::a,
                     "CFS: wake -> runs, CPU 1->2", cfs_remote_wake,
                     cfs_wakeup_failure));
  const absl::StatusOr<GhostResult> spinning = ghost(
      {.name = "message to a spinning agent",
       .enclave_id = 44,
       .wake_agent = false,
       .nr_workers = 1,
       .workers = WorkerKind::kSleeper,
       .rounds = quarter,
       .agent = [](AgentContext& c) { return MessageAgent(c, true); },
       .driver = [quarter](Shared& s, auto& w) {
         return MessageDriver(true, quarter, s, w);
       }});
  rows.push_back(row("message -> spinning agent", spinning, &GhostResult::a,
                     "", {}, ""));

  std::printf("\n%s", bench::FormatTable(rows).c_str());
  std::printf(
      "ns; ratio = ghost / baseline of the medians (and of the means), "
      "measured in this boot\n");
  if (const std::string path = absl::GetFlag(FLAGS_json); !path.empty()) {
    const std::string json = bench::FormatJson(
        {{"rounds", absl::StrCat(rounds)},
         {"cpus", absl::StrCat(nr_cpus)},
         {"wait_limit_ms", absl::StrCat(absl::GetFlag(FLAGS_wait_limit_ms))},
         {"runnable_timeout_ms",
          absl::StrCat(absl::GetFlag(FLAGS_runnable_timeout_ms))}},
        rows);
    std::ofstream out(path);
    out << json;
    if (!out) {
      std::fprintf(stderr, "ghost_microbench: cannot write %s\n",
                   path.c_str());
      return 1;
    }
  }
  if (failed) {
    std::printf("some measurements FAILED (reasons above); exit code 1\n");
  }
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace ghost

int main(int argc, char** argv) { return ghost::Main(argc, argv); }
