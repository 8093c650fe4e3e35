// Workloads where threads hand the CPU to each other:
//
//   yield   every worker takes one shared mutex, bumps a counter, lets it
//           go and calls sched_yield(), in a tight loop (a spin-then-yield
//           lock, a cooperative job loop)
//   pipe    two threads bounce one byte through two pipes (a request and
//           its reply); one unit is a round trip
#ifndef GHOST_EXPERIMENTS_WORKLOADS_CONTENTION_H_
#define GHOST_EXPERIMENTS_WORKLOADS_CONTENTION_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "experiments/workloads/workers.h"

namespace ghost::workloads {

absl::StatusOr<WorkerTimes> YieldLoop(int threads, int64_t ops,
                                      absl::Duration limit);
absl::StatusOr<WorkerTimes> PipePingPong(int64_t ops, absl::Duration limit);

}  // namespace ghost::workloads

#endif  // GHOST_EXPERIMENTS_WORKLOADS_CONTENTION_H_
