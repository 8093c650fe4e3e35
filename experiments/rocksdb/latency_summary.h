// Percentiles of a set of latencies, nearest rank: p99 of 1000 samples is
// the 990th smallest. Always reported with the sample count, because a
// p99.9 of 2000 samples is the 2nd largest value and says little more.
//
// Requests that never finished are not left out: they count as slower than
// every finished one, so a percentile whose rank falls among them is
// unknown (kUnknown, written as null) rather than optimistic.
//
//   LatencySummary s = Summarize(latencies_ns, /*unfinished=*/3);
//   s.count, s.unfinished, s.p50, s.p99, s.p999, s.mean, s.max
#ifndef GHOST_EXPERIMENTS_ROCKSDB_LATENCY_SUMMARY_H_
#define GHOST_EXPERIMENTS_ROCKSDB_LATENCY_SUMMARY_H_

#include <cstdint>
#include <vector>

namespace ghost::rocksdb_exp {

inline constexpr int64_t kUnknown = -1;

struct LatencySummary {
  int64_t count = 0;       // finished samples
  int64_t unfinished = 0;  // requests that never finished
  // Over count + unfinished; kUnknown when the rank is an unfinished one
  // (or there are no samples at all).
  int64_t p50 = 0;
  int64_t p99 = 0;
  int64_t p999 = 0;
  int64_t max = 0;  // of the finished ones
  double mean = 0;  // of the finished ones
};

// The nearest-rank `q` quantile (0 < q <= 1) of `sorted` (ascending,
// non-empty): the ceil(q * n)-th smallest value.
int64_t NearestRank(const std::vector<int64_t>& sorted, double q);

// Summarizes `samples` (sorts its copy) and `unfinished` requests.
LatencySummary Summarize(std::vector<int64_t> samples, int64_t unfinished = 0);

}  // namespace ghost::rocksdb_exp

#endif  // GHOST_EXPERIMENTS_ROCKSDB_LATENCY_SUMMARY_H_
