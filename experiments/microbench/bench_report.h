// The microbenchmark's arithmetic and output, kept apart from the lab code
// so that the host tests can check it: per-round samples become a summary
// (mean, median, p99), a measurement is compared with its baseline, and the
// rows become the printed table and the JSON file.
//
//   Summary s = Summarize({1200, 1100, 5000});      // median 1200
//   Row row{"local schedule", s, "CFS switch", cfs};
//   std::printf("%s", FormatTable({row}).c_str());
//   std::ofstream(path) << FormatJson(meta, {row});
#ifndef GHOST_EXPERIMENTS_MICROBENCH_BENCH_REPORT_H_
#define GHOST_EXPERIMENTS_MICROBENCH_BENCH_REPORT_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/types/span.h"

namespace ghost::bench {

// What a set of per-round samples (ns) comes to. count == 0: no samples.
struct Summary {
  int count = 0;
  double mean = 0;
  double median = 0;
  double p99 = 0;  // nearest rank
  double min = 0;
  double max = 0;
};

// Summarizes `samples` (any order; nearest-rank percentiles).
Summary Summarize(absl::Span<const uint64_t> samples);

// a / b, or 0 when either side has no samples (the table shows "-").
double Ratio(const Summary& a, const Summary& b, bool use_median);

// One line of the table: a measurement and, optionally, what it is compared
// with. A measurement that could not be taken has `failure` set (why, in
// words) and is shown as FAILED with that reason.
struct Row {
  std::string name;
  Summary value;
  std::string baseline_name;  // "" : no baseline
  Summary baseline;
  std::string failure;
};

// The table: median and mean of each row and of its baseline, and the
// ratios (median/median and mean/mean); failed rows, then their reasons.
std::string FormatTable(absl::Span<const Row> rows);

// The same as JSON; `meta` pairs become string fields of the top object
// (e.g. {"rounds", "2000"}); every number is in ns.
std::string FormatJson(absl::Span<const std::pair<std::string, std::string>> meta,
                       absl::Span<const Row> rows);

// `text` as a JSON string literal, quotes included.
std::string JsonString(const std::string& text);

}  // namespace ghost::bench

#endif  // GHOST_EXPERIMENTS_MICROBENCH_BENCH_REPORT_H_
