#include "experiments/microbench/agent_bodies.h"

#include <algorithm>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "experiments/microbench/bench_clock.h"
#include "experiments/microbench/bench_shared.h"
#include "experiments/microbench/cpu_layout.h"
#include "lib/abi/cpu_data_region.h"
#include "lib/abi/ghost_run.h"
#include "lib/abi/status_word_region.h"

namespace ghost::bench {
namespace {

bool RunnableOffCpu(const StatusWord& w) { return w.runnable() && !w.on_cpu(); }

}  // namespace

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
    const uint64_t end = t1 + ctx.limits().wait_ns();
    while (s.runs[0].load() == runs) {
      const uint32_t b = ctx.agent_barrier();
      if (s.runs[0].load() != runs) break;
      const StatusWord now = ctx.worker(0);
      if (now.barrier != w.barrier && RunnableOffCpu(now) &&
          s.runs[0].load() == runs) {
        break;  // it left the CPU again without a timestamp (preempted)
      }
      if (NowNs() > end) {
        return absl::DeadlineExceededError(
            absl::StrCat("the latched thread did not run within ",
                         ctx.limits().wait_limit_ms, " ms"));
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

absl::Status RemoteLatchAgent(AgentContext& ctx) {
  Shared& s = ctx.shared();
  const int n = s.nr_workers;
  const CpuLayout& layout = ctx.lab().layout;
  if (n > layout.nr_remote()) {
    return absl::InvalidArgumentError(
        absl::StrCat(n, " threads to latch on ", layout.nr_remote(),
                     " remote CPUs"));
  }
  int cpus[kMaxWorkers];
  uint32_t barriers[kMaxWorkers];
  uint64_t runs[kMaxWorkers];
  for (int i = 0; i < n; ++i) cpus[i] = layout.RemoteCpu(i);
  int failures = 0;
  while (s.nr_samples < ctx.rounds()) {
    ctx.DrainQueue();
    ctx.At(kWaitingForRunnable);
    for (int i = 0; i < n; ++i) {
      if (absl::Status st =
              ctx.SpinUntil([&] { return RunnableOffCpu(ctx.worker(i)); },
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

}  // namespace ghost::bench
