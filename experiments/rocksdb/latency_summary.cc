#include "experiments/rocksdb/latency_summary.h"

#include <algorithm>
#include <cmath>

namespace ghost::rocksdb_exp {

int64_t NearestRank(const std::vector<int64_t>& sorted, double q) {
  const double n = static_cast<double>(sorted.size());
  // The small epsilon keeps 0.99 * 100 (= 99.00000000000001) at rank 99.
  int64_t rank = static_cast<int64_t>(std::ceil(q * n - 1e-9));
  rank = std::clamp<int64_t>(rank, 1, static_cast<int64_t>(sorted.size()));
  return sorted[rank - 1];
}

namespace {

int64_t RankWithUnfinished(const std::vector<int64_t>& sorted,
                           int64_t unfinished, double q) {
  const int64_t n = static_cast<int64_t>(sorted.size()) + unfinished;
  int64_t rank = static_cast<int64_t>(std::ceil(q * n - 1e-9));
  rank = std::clamp<int64_t>(rank, 1, n);
  if (rank > static_cast<int64_t>(sorted.size())) return kUnknown;
  return sorted[rank - 1];
}

}  // namespace

LatencySummary Summarize(std::vector<int64_t> samples, int64_t unfinished) {
  LatencySummary s;
  s.unfinished = unfinished;
  if (samples.empty()) {
    s.p50 = s.p99 = s.p999 = kUnknown;  // nothing to rank
    return s;
  }
  std::sort(samples.begin(), samples.end());
  s.count = static_cast<int64_t>(samples.size());
  s.p50 = RankWithUnfinished(samples, unfinished, 0.50);
  s.p99 = RankWithUnfinished(samples, unfinished, 0.99);
  s.p999 = RankWithUnfinished(samples, unfinished, 0.999);
  s.max = samples.back();
  double sum = 0;
  for (int64_t v : samples) sum += static_cast<double>(v);
  s.mean = sum / static_cast<double>(samples.size());
  return s;
}

}  // namespace ghost::rocksdb_exp
