// Workloads that stress a scheduler the way real programs do, for running
// the same fixed amount of work under CFS and inside a ghost enclave and
// comparing wall times (`tools/ghost lab bench`, docs/benchmarks.md).
//
// Each workload does `ops` units of work (its own unit: a fork, a round
// trip, a yield...) with `threads` threads or processes and returns how
// long that took. The work is fixed, not the time, so a slower scheduler
// shows as a longer run, and a thread that never runs shows as a run that
// does not finish (the caller bounds it with `limit`).
//
//   absl::StatusOr<WorkloadResult> r =
//       RunWorkload("pipe", {.threads = 2, .ops = 20000});
//   std::printf("%.3f s\n", r->seconds);
#ifndef GHOST_EXPERIMENTS_WORKLOADS_WORKLOAD_H_
#define GHOST_EXPERIMENTS_WORKLOADS_WORKLOAD_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ghost::workloads {

struct WorkloadArgs {
  int threads = 3;  // workers (threads or processes)
  int64_t ops = 0;  // units of work per worker; 0: the workload's default
  // Longest the workload may take before it gives up (a worker that never
  // ran): an error that says how far each worker got.
  absl::Duration limit = absl::Seconds(120);
};

struct WorkloadResult {
  double seconds = 0;  // wall time of the work
  int64_t ops = 0;     // units done, all workers together
  // Oversubscription: how long the slowest and the fastest worker took
  // (how fairly the CPUs were shared); 0 for the others.
  double slowest_s = 0, fastest_s = 0;
};

// The names RunWorkload knows, with what one unit of each is.
const char* WorkloadHelp();

// Runs workload `name`. An unknown name is InvalidArgument; a worker that
// failed (a system call error) or did not finish within args.limit is an
// error naming it.
absl::StatusOr<WorkloadResult> RunWorkload(const std::string& name,
                                           const WorkloadArgs& args);

}  // namespace ghost::workloads

#endif  // GHOST_EXPERIMENTS_WORKLOADS_WORKLOAD_H_
