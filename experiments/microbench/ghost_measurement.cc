#include "experiments/microbench/ghost_measurement.h"

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "experiments/microbench/agent_process.h"
#include "experiments/microbench/bench_clock.h"
#include "experiments/microbench/thread_state.h"
#include "lib/abi/ghost_run.h"

namespace ghost::bench {

GhostMeasurement::~GhostMeasurement() { TearDown(); }

absl::StatusOr<GhostResult> GhostMeasurement::Run() {
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

absl::Status GhostMeasurement::RunSteps() {
  block_ = std::make_unique<SharedBlock<Shared>>();
  if (!block_->ok()) return block_->status();
  shared_ = block_->get();
  if (spec_.nr_workers < 1 || spec_.nr_workers > kMaxWorkers) {
    return absl::InvalidArgumentError(absl::StrCat(
        spec_.nr_workers, " worker threads: the bench holds 1..", kMaxWorkers));
  }
  shared_->nr_workers = spec_.nr_workers;

  absl::StatusOr<Lab> lab = MakeLab(spec_.enclave_id, spec_.wake_agent,
                                    limits_.runnable_timeout_ms, layout_);
  if (!lab.ok()) {
    return absl::Status(
        lab.status().code(),
        absl::StrCat("setting up the enclave: ", lab.status().message()));
  }
  lab_ = std::make_unique<Lab>(std::move(*lab));

  // The agent first, before the bench has threads: the child is a copy
  // of a single-threaded process.
  absl::StatusOr<std::unique_ptr<AgentChild>> agent =
      AgentChild::Start([this]() -> int {
        AgentMain(*lab_, shared_, spec_.rounds, limits_, spec_.agent);
      });
  if (!agent.ok()) return agent.status();
  agent_ = std::move(*agent);
  if (absl::Status s = WaitPhase(kAttached, 10000000000); !s.ok()) {
    return absl::Status(s.code(),
                        absl::StrCat("attaching the agent: ", s.message()));
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
  return WaitPhase(
      kDone, limits_.measurement_ns() + 10000000000);  // the agent bounds it
}

absl::Status GhostMeasurement::AgentFailure() {
  return absl::AbortedError(
      absl::StrCat("the agent gave up: ", shared_->error));
}

absl::Status GhostMeasurement::WaitPhase(int phase, uint64_t limit_ns) {
  const uint64_t end = NowNs() + limit_ns;
  while (shared_->phase.load() != phase) {
    if (shared_->phase.load() == kFailed) return AgentFailure();
    if (const std::optional<int> exited = agent_->Exited()) {
      const int status = *exited;
      if (shared_->phase.load() == phase) break;
      if (shared_->phase.load() == kFailed) return AgentFailure();
      return absl::AbortedError(
          absl::StrCat("the agent process ended early (",
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

absl::Status GhostMeasurement::StartWorker(int i) {
  auto w = std::make_unique<Worker>();
  Worker* wp = w.get();
  Shared* shared = shared_;
  const WorkerKind kind = spec_.workers;
  std::atomic<bool>* stop = &stop_workers_;
  const CpuLayout layout = layout_;
  wp->thread = std::thread([wp, shared, kind, stop, i, layout] {
    // The bench's main thread is pinned to CPU 0; the workers may use
    // the enclave's CPUs.
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int cpu = 0; cpu < layout.nr_cpus; ++cpu) {
      if (layout.InEnclave(cpu)) CPU_SET(cpu, &set);
    }
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
  const uint64_t end = NowNs() + limits_.wait_ns();
  while (wp->tid.load() == 0) {
    if (NowNs() > end) {
      return absl::DeadlineExceededError("a worker thread did not start");
    }
    usleep(100);
  }
  // Moved in asleep: a thread that enters running keeps its CPU (K2).
  if (absl::Status s =
          WaitAsleep(wp->tid.load(), "a worker", limits_.wait_limit_ms);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = lab_->enclave->AddTask(wp->tid.load()); !s.ok()) {
    return absl::Status(s.code(),
                        absl::StrCat("moving a worker in: ", s.message()));
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

void GhostMeasurement::TearDown() {
  if (shared_ != nullptr) shared_->stop.store(true);
  if (agent_ != nullptr && !agent_->Stop(absl::Seconds(3))) {
    std::fprintf(stderr,
                 "ghost_microbench: %s: the agent did not stop in 3 s; "
                 "killed it\n",
                 spec_.name);
  }
  agent_.reset();
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

}  // namespace ghost::bench
