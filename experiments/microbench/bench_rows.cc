#include "experiments/microbench/bench_rows.h"

#include <utility>

#include "absl/strings/str_cat.h"

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

std::vector<Row> RemoteRows(const std::vector<RemoteGroup>& groups,
                            const Baseline& cfs_wake,
                            const Baseline& cfs_syscall) {
  std::vector<Row> rows;
  if (groups.empty()) return rows;
  const absl::StatusOr<GhostResult>& single = groups.front().result;
  for (const RemoteGroup& g : groups) {
    rows.push_back(GhostRow(
        g.n == 1 ? std::string("remote x1: commit -> thread runs")
                 : absl::StrCat("remote x", g.n, ": commit -> last runs"),
        g.result, &GhostResult::a, cfs_wake));
  }
  rows.push_back(GhostRow("remote x1: commit syscall", single,
                          &GhostResult::b, cfs_syscall));
  // Each group commit's cost per transaction against a commit of one.
  Baseline one = {.name = "ghost: commit syscall x1"};
  if (single.ok()) {
    one.value = Summarize(single->b);
  } else {
    one.failure = std::string(single.status().message());
  }
  for (const RemoteGroup& g : groups) {
    if (g.n == 1) continue;
    absl::StatusOr<GhostResult> per_txn = g.result;
    if (per_txn.ok()) per_txn->b = PerTransaction(per_txn->b, g.n);
    rows.push_back(
        GhostRow(absl::StrCat("remote x", g.n, ": commit syscall / txn"),
                 per_txn, &GhostResult::b, one));
  }
  return rows;
}

}  // namespace ghost::bench
