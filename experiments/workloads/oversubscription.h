// Oversubscription: more CPU-bound threads than CPUs (the bench uses two
// per CPU). Each worker computes for a fixed number of units and never
// blocks, so it finishes only if the scheduler takes CPUs away from the
// others: a run-to-block scheduler leaves the surplus threads waiting
// forever. The spread between the fastest and the slowest worker says how
// fairly the CPUs were shared.
#ifndef GHOST_EXPERIMENTS_WORKLOADS_OVERSUBSCRIPTION_H_
#define GHOST_EXPERIMENTS_WORKLOADS_OVERSUBSCRIPTION_H_

#include <atomic>
#include <cstdint>

#include "absl/status/status.h"

namespace ghost::workloads {

// Worker body for RunWorkers(): `ops` units of pure computation.
absl::Status Compute(int64_t ops, std::atomic<int64_t>& done);

}  // namespace ghost::workloads

#endif  // GHOST_EXPERIMENTS_WORKLOADS_OVERSUBSCRIPTION_H_
