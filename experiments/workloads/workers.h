// Workers: runs one function on N threads at once and waits for all of
// them, with a deadline, timing each. Every workload of this folder is a
// set of workers; this is the one place that starts, times and bounds them.
//
//   absl::StatusOr<WorkerTimes> t = RunWorkers(3, absl::Seconds(60),
//       [](int worker, std::atomic<int64_t>& done) -> absl::Status {
//         for (int i = 0; i < 1000; ++i) { ...; done.fetch_add(1); }
//         return absl::OkStatus();
//       });
#ifndef GHOST_EXPERIMENTS_WORKLOADS_WORKERS_H_
#define GHOST_EXPERIMENTS_WORKLOADS_WORKERS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ghost::workloads {

struct WorkerTimes {
  double seconds = 0;             // first start to last finish
  std::vector<double> each;       // each worker's own time
  int64_t ops = 0;                // sum of the workers' progress counters
};

// `fn(worker, done)` does worker `worker`'s work, counting units in
// `done`. The workers start together (after all exist). If one fails, its
// status is returned; if they have not all finished after `limit`, a
// DeadlineExceeded error lists each worker's progress, and the threads are
// left running (the caller exits).
using WorkerFn = std::function<absl::Status(int, std::atomic<int64_t>&)>;
absl::StatusOr<WorkerTimes> RunWorkers(int n, absl::Duration limit,
                                       const WorkerFn& fn);

// CLOCK_MONOTONIC, seconds.
double NowSeconds();

}  // namespace ghost::workloads

#endif  // GHOST_EXPERIMENTS_WORKLOADS_WORKERS_H_
