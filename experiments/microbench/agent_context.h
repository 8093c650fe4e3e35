// What an agent body works with, in the agent process: the lab, the memory
// shared with the bench, and the bounded ways to wait. Every wait of an
// agent body goes through Check(), SpinUntil() or Block(), so that a stop
// from the bench, the measurement's deadline or a destroyed enclave ends it
// with a reason.
//
//   absl::Status MyAgent(AgentContext& ctx) {
//     while (ctx.shared().nr_samples < ctx.rounds()) {
//       if (absl::Status s = ctx.Block(ctx.agent_barrier()); !s.ok())
//         return s;
//       ctx.Sample(a, b);
//     }
//     return absl::OkStatus();
//   }
#ifndef GHOST_EXPERIMENTS_MICROBENCH_AGENT_CONTEXT_H_
#define GHOST_EXPERIMENTS_MICROBENCH_AGENT_CONTEXT_H_

#include <algorithm>
#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "experiments/microbench/bench_clock.h"
#include "experiments/microbench/bench_lab.h"
#include "experiments/microbench/bench_limits.h"
#include "experiments/microbench/bench_shared.h"
#include "lib/abi/status_word_region.h"

namespace ghost::bench {

// Consecutive commits that fail before a measurement gives up.
constexpr int kMaxConsecutiveFailures = 1000;

class AgentContext final {
 public:
  // `sw_index`: the agent's own status word. The measurement's deadline
  // starts now.
  AgentContext(Lab& lab, Shared* shared, uint32_t sw_index, int rounds,
               const BenchLimits& limits)
      : lab_(lab),
        shared_(shared),
        sw_index_(sw_index),
        rounds_(rounds),
        limits_(limits),
        deadline_(NowNs() + limits.measurement_ns()) {}
  AgentContext(const AgentContext&) = delete;
  AgentContext& operator=(const AgentContext&) = delete;

  Lab& lab() { return lab_; }
  Shared& shared() { return *shared_; }
  const BenchLimits& limits() const { return limits_; }
  int rounds() const { return std::min(rounds_, kMaxSamples); }
  uint32_t agent_barrier() const { return lab_.words->Read(sw_index_).barrier; }
  StatusWord worker(int i) const {
    return lab_.words->Read(shared_->sw_index[i]);
  }
  void At(Where where) {
    shared_->where.store(where, std::memory_order_relaxed);
  }

  // Why the agent must stop now, or OK. Cheap enough for every wait loop
  // iteration except the enclave check, which runs at most every 50 ms.
  absl::Status Check();

  // Spins until `done()` (bounded by the wait limit and Check()).
  template <typename Done>
  absl::Status SpinUntil(Done done, const char* what) {
    const uint64_t end = NowNs() + limits_.wait_ns();
    while (!done()) {
      if (absl::Status s = Check(); !s.ok()) return s;
      if (NowNs() > end) {
        return absl::DeadlineExceededError(
            absl::StrCat(what, ": not within ", limits_.wait_limit_ms, " ms"));
      }
    }
    return absl::OkStatus();
  }

  // Blocks in ghost_run() until an event for the agent's CPU. A stale
  // barrier or a signal returns at once (look again); a detached agent is
  // an error.
  absl::Status Block(uint32_t barrier);

  // Counts a transaction result in `Shared::results`.
  void CountResult(int32_t result);

  // Counts a failed commit; an error once too many failed in a row.
  absl::Status Failed(int32_t result, int* consecutive);

  // Records one round's samples (kept up to kMaxSamples).
  void Sample(uint64_t a, uint64_t b);

  // Drops every message in the default queue.
  void DrainQueue();

 private:
  Lab& lab_;
  Shared* shared_;
  uint32_t sw_index_;
  int rounds_;
  BenchLimits limits_;
  uint64_t deadline_;
  uint64_t last_enclave_check_ = 0;
};

// One measurement's policy, run by the agent process once the bench says
// go; OK when it has its rounds.
using AgentBody = std::function<absl::Status(AgentContext&)>;

}  // namespace ghost::bench

#endif  // GHOST_EXPERIMENTS_MICROBENCH_AGENT_CONTEXT_H_
