#include "experiments/rocksdb/service_choice.h"

#include <algorithm>
#include <cmath>

namespace ghost::rocksdb_exp {
namespace {

int64_t RoundUp(double ns, int64_t step) {
  if (step <= 0) return static_cast<int64_t>(std::ceil(ns));
  return static_cast<int64_t>(std::ceil(ns / static_cast<double>(step))) * step;
}

}  // namespace

ServiceChoice ChooseServiceTimes(const Measured& m, const ServicePolicy& p) {
  ServiceChoice c;
  const double by_sched =
      p.sched_multiple * static_cast<double>(m.sched_round_trip_ns);
  const double by_work = static_cast<double>(m.get_ns);
  // Mean service = Get x ((1 - f) + f x range_multiple) >= headroom x
  // cpus / capacity.
  double by_dispatch = 0;
  if (m.dispatch_capacity_rps > 0) {
    const double per_get =
        (1 - p.range_fraction) + p.range_fraction * p.range_multiple;
    by_dispatch =
        p.dispatch_headroom * p.cpus / m.dispatch_capacity_rps / per_get * 1e9;
  }
  const double get = std::max({by_sched, by_work, by_dispatch});
  c.why_get = get == by_dispatch ? "dispatch capacity"
              : get == by_sched  ? "scheduling round trip"
                                 : "real Get work";
  c.get_ns = RoundUp(get, p.round_to_ns);
  const double range =
      std::max(p.range_multiple * static_cast<double>(c.get_ns),
               static_cast<double>(m.range_ns));
  c.range_ns = RoundUp(range, p.round_to_ns);
  return c;
}

}  // namespace ghost::rocksdb_exp
