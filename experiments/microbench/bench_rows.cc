#include "experiments/microbench/bench_rows.h"

#include <utility>

namespace ghost::bench {

std::vector<uint64_t> PerTransaction(const std::vector<uint64_t>& v, int n) {
  std::vector<uint64_t> out;
  for (uint64_t x : v) out.push_back(x / n);
  return out;
}

Row GhostRow(std::string name, const absl::StatusOr<GhostResult>& r,
             const std::vector<uint64_t> GhostResult::*which,
             Baseline baseline) {
  Row out;
  out.name = std::move(name);
  if (!r.ok()) {
    out.failure = std::string(r.status().message());
    return out;
  }
  out.value = Summarize((*r).*which);
  out.baseline_name = std::move(baseline.name);
  out.baseline = baseline.value;
  if (!out.baseline_name.empty() && baseline.value.count == 0) {
    out.baseline_name += " (failed: " + baseline.failure + ")";
  }
  return out;
}

}  // namespace ghost::bench
