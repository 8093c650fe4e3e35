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

// One remote latch measurement: `n` threads on n remote CPUs committed in
// one call.
struct RemoteGroup {
  int n;
  absl::StatusOr<GhostResult> result;
};

// The rows of the remote latches, `groups` in ascending n and the first of
// n == 1: for each group "commit -> (last) runs" against the CFS wakeup
// `cfs_wake`, then the commit call of one against `cfs_syscall` and of each
// bigger group, per transaction, against the commit call of one.
//
//   remote x1: commit -> thread runs     CFS: wake -> runs, CPU 1->2
//   remote x2: commit -> last runs       CFS: wake -> runs, CPU 1->2
//   remote x6: commit -> last runs       CFS: wake -> runs, CPU 1->2
//   remote x1: commit syscall            CFS: futex_wake syscall
//   remote x2: commit syscall / txn      ghost: commit syscall x1
//   remote x6: commit syscall / txn      ghost: commit syscall x1
std::vector<Row> RemoteRows(const std::vector<RemoteGroup>& groups,
                            const Baseline& cfs_wake,
                            const Baseline& cfs_syscall);

}  // namespace ghost::bench

#endif  // GHOST_EXPERIMENTS_MICROBENCH_BENCH_ROWS_H_
