// The bench's measurements, in order, and the rows of the table they give:
// the two CFS baselines first, then the ghost measurements, each with an
// enclave of its own (ids 40-45) on the layout's CPUs (1..n-1) and
// compared with the baseline that does
// the same hand-off. Progress and each failure's reason are printed as it
// goes; a failed measurement still gives its row (FAILED, with the reason)
// and the others still run.
//
//   SuiteResult suite = RunSuite(2000, *LayoutFor(8), limits);
//   std::printf("%s", FormatTable(suite.rows).c_str());
#ifndef GHOST_EXPERIMENTS_MICROBENCH_BENCH_SUITE_H_
#define GHOST_EXPERIMENTS_MICROBENCH_BENCH_SUITE_H_

#include <vector>

#include "experiments/microbench/bench_limits.h"
#include "experiments/microbench/bench_report.h"
#include "experiments/microbench/cpu_layout.h"

namespace ghost::bench {

struct SuiteResult {
  std::vector<Row> rows;
  bool failed = false;  // some measurement (ghost or CFS) failed
};

// `rounds` for the local measurements, a quarter of it for the remote and
// message ones; a remote latch of 1, 2 and (with more than 2 remote CPUs)
// all of `layout`'s remote CPUs. The calling thread must be pinned to CPU 0
// and ghostfs mounted.
SuiteResult RunSuite(int rounds, const CpuLayout& layout,
                     const BenchLimits& limits);

}  // namespace ghost::bench

#endif  // GHOST_EXPERIMENTS_MICROBENCH_BENCH_SUITE_H_
