#include "experiments/rocksdb/service_choice.h"

#include <algorithm>
#include <cmath>

namespace ghost::rocksdb_exp {
namespace {

int64_t RoundUp(double ns, int64_t step) {
  if (step <= 0) return static_cast<int64_t>(std::ceil(ns));
  return static_cast<int64_t>(std::ceil(ns / static_cast<double>(step))) *
         step;
}

}  // namespace

ServiceChoice ChooseServiceTimes(const Measured& m, const ServicePolicy& p) {
  ServiceChoice c;
  const double by_sched =
      p.sched_multiple * static_cast<double>(m.sched_round_trip_ns);
  const double by_work = static_cast<double>(m.get_ns);
  c.why_get = by_sched >= by_work ? "scheduling round trip" : "real Get work";
  c.get_ns = RoundUp(std::max(by_sched, by_work), p.round_to_ns);
  const double range =
      std::max(p.range_multiple * static_cast<double>(c.get_ns),
               static_cast<double>(m.range_ns));
  c.range_ns = RoundUp(range, p.round_to_ns);
  return c;
}

}  // namespace ghost::rocksdb_exp
