// Process and thread churn: workers that create and reap children as fast
// as they can, each child doing nothing. What a build, a shell script or a
// test runner does to a scheduler: every child is a new thread to place,
// runs for a moment and dies, while its parent sleeps in wait().
//
//   fork     fork(); the child _exit()s; the parent waitpid()s
//   exec     the same, the child exec()s this program, which exits at once
//   threads  pthread create + join of a thread that returns at once
#ifndef GHOST_EXPERIMENTS_WORKLOADS_CHURN_H_
#define GHOST_EXPERIMENTS_WORKLOADS_CHURN_H_

#include <atomic>
#include <cstdint>

#include "absl/status/status.h"

namespace ghost::workloads {

// The argument a child exec'd by the exec workload gets: it exits at
// once. main() checks for it before anything else.
inline constexpr char kExitAtOnce[] = "--ghost-workload-exit-at-once";

// Worker bodies for RunWorkers(): `ops` children each.
absl::Status ForkChurn(int64_t ops, std::atomic<int64_t>& done);
absl::Status ExecChurn(int64_t ops, std::atomic<int64_t>& done);
absl::Status ThreadChurn(int64_t ops, std::atomic<int64_t>& done);

}  // namespace ghost::workloads

#endif  // GHOST_EXPERIMENTS_WORKLOADS_CHURN_H_
