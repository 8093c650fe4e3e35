#include "experiments/rocksdb/poisson_schedule.h"

#include <cmath>

namespace ghost::rocksdb_exp {

PoissonSchedule::PoissonSchedule(double rate_per_s, uint64_t seed,
                                 int64_t start_ns)
    : mean_gap_ns_(1e9 / rate_per_s),
      rng_(seed),
      gap_(1.0),
      at_ns_(static_cast<double>(start_ns)),
      last_(start_ns) {}

int64_t PoissonSchedule::Next() {
  at_ns_ += gap_(rng_) * mean_gap_ns_;
  // Two arrivals within the same ns still get distinct, ordered stamps.
  int64_t t = std::llround(at_ns_);
  if (t <= last_) t = last_ + 1;
  last_ = t;
  return t;
}

}  // namespace ghost::rocksdb_exp
