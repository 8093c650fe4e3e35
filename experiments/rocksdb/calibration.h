// What the calibration measures in the VM, before any load: the CPU time
// of a real Get and of a real Range scan, and the scheduling round trip a
// request's start costs: the dispatcher (CFS, control CPU) wakes a worker
// blocked on a futex, the worker runs and wakes the dispatcher back. For a
// worker in a ghost enclave that wakeup goes through the agent (message,
// decision, commit, latch), so the round trip includes a commit.
//
//   absl::StatusOr<int64_t> rt = MeasureWakeRoundTrip(placement, 0, 200);
#ifndef GHOST_EXPERIMENTS_ROCKSDB_CALIBRATION_H_
#define GHOST_EXPERIMENTS_ROCKSDB_CALIBRATION_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "experiments/rocksdb/database.h"
#include "experiments/rocksdb/load_server.h"
#include "experiments/rocksdb/thread_setup.h"

namespace ghost::rocksdb_exp {

// Median CPU time (ns) of `n` Gets of random keys / Ranges of `len` keys.
int64_t MedianGetCpuNs(Database& db, int n, uint64_t seed);
int64_t MedianRangeCpuNs(Database& db, int n, int len, uint64_t seed);

// Median round trip (ns) over `rounds` between the calling thread (pinned
// to `control_cpu`) and a thread placed by `worker`. An error if the
// worker cannot be placed or a round takes more than 5 s.
absl::StatusOr<int64_t> MeasureWakeRoundTrip(const ThreadPlacement& worker,
                                             int control_cpu, int rounds);

// Requests per second the generator, the dispatcher and `base`'s workers
// complete when every request is a bare Get (no padding) and far more are
// offered than they can take: the ceiling of the dispatch path, counted as
// completions during `seconds` after a short warm-up.
absl::StatusOr<double> MeasureDispatchCapacity(Database& db,
                                               const ServerOptions& base,
                                               double seconds);

}  // namespace ghost::rocksdb_exp

#endif  // GHOST_EXPERIMENTS_ROCKSDB_CALIBRATION_H_
