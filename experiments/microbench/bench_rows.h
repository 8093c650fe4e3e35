// How the results of the measurements become rows of the table: a ghost
// measurement's samples (or the reason it has none) next to a baseline (or
// the reason it has none). Pure; host-tested by bench_rows_test.cc.
//
//   Row row = GhostRow("local: commit -> thread runs", local,
//                      &GhostResult::a,
//                      {"CFS: wake -> runs, 1 CPU", cfs_wake, ""});
#ifndef GHOST_EXPERIMENTS_MICROBENCH_BENCH_ROWS_H_
#define GHOST_EXPERIMENTS_MICROBENCH_BENCH_ROWS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "experiments/microbench/bench_report.h"
#include "experiments/microbench/ghost_result.h"

namespace ghost::bench {

// What a row is compared with. An empty name: nothing. A failed baseline
// has no samples and `failure` set (why).
struct Baseline {
  std::string name;
  Summary value;
  std::string failure;
};

// Each sample divided by `n` (a commit of n transactions -> per transaction).
std::vector<uint64_t> PerTransaction(const std::vector<uint64_t>& v, int n);

// A row from the samples `which` of a measurement, or the reason it has no
// value; a baseline without samples is named "<name> (failed: <why>)".
Row GhostRow(std::string name, const absl::StatusOr<GhostResult>& r,
             const std::vector<uint64_t> GhostResult::*which,
             Baseline baseline);

}  // namespace ghost::bench

#endif  // GHOST_EXPERIMENTS_MICROBENCH_BENCH_ROWS_H_
