// What ghost is compared with: the same hand-offs done by CFS, measured in
// the same boot. Both run on the CPUs of cpu_layout.h and pin the calling
// thread back to CPU 0 when they return.
//
//   CfsPingPong         two threads on CPU 1 hand a token back and forth
//                       through a futex: wake issued -> the other thread
//                       runs, and the round trip
//   CfsCrossCpuWakeup   a thread asleep on CPU 2 is woken from CPU 1: wake
//                       issued -> it runs, and the futex_wake call itself
//
//   absl::StatusOr<CfsResult> r = CfsPingPong(2000, limits);
//   if (r.ok()) Summarize(r->wake_to_run);
#ifndef GHOST_EXPERIMENTS_MICROBENCH_CFS_BASELINES_H_
#define GHOST_EXPERIMENTS_MICROBENCH_CFS_BASELINES_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "experiments/microbench/bench_limits.h"

namespace ghost::bench {

// Per-round samples, ns.
struct CfsResult {
  std::vector<uint64_t> wake_to_run;   // wake issued -> the wakee runs
  std::vector<uint64_t> round_trip;    // ping-pong only
  std::vector<uint64_t> wake_syscall;  // cross-CPU only: futex_wake's time
};

// Two threads on CPU 1 hand a token back and forth through a futex.
absl::StatusOr<CfsResult> CfsPingPong(int rounds, const BenchLimits& limits);

// A thread asleep on CPU 2 is woken from CPU 1.
absl::StatusOr<CfsResult> CfsCrossCpuWakeup(int rounds,
                                            const BenchLimits& limits);

}  // namespace ghost::bench

#endif  // GHOST_EXPERIMENTS_MICROBENCH_CFS_BASELINES_H_
