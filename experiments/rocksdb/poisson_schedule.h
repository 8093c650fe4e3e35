// The arrival times of an open-loop load: a Poisson process of `rate`
// requests per second, from a seeded generator so that every mode of a
// sweep is offered the same sequence. The generator sends each request at
// its scheduled time and stamps it with that time, not with the time it
// got round to sending it: a generator that falls behind makes latency
// worse, as a late client would, instead of quietly offering less load.
//
//   PoissonSchedule s(/*rate_per_s=*/5000, /*seed=*/1, /*start_ns=*/now);
//   int64_t t = s.Next();   // absolute CLOCK_MONOTONIC ns of arrival 1
//   int64_t u = s.Next();   // arrival 2, t + an exponential gap
#ifndef GHOST_EXPERIMENTS_ROCKSDB_POISSON_SCHEDULE_H_
#define GHOST_EXPERIMENTS_ROCKSDB_POISSON_SCHEDULE_H_

#include <cstdint>
#include <random>

namespace ghost::rocksdb_exp {

class PoissonSchedule {
 public:
  // `rate_per_s` must be > 0 (the caller checks its flags).
  PoissonSchedule(double rate_per_s, uint64_t seed, int64_t start_ns);

  // The next arrival time, ns, strictly increasing.
  int64_t Next();

 private:
  double mean_gap_ns_;
  std::mt19937_64 rng_;
  std::exponential_distribution<double> gap_;
  double at_ns_;  // kept as double so that sub-ns gaps add up
  int64_t last_ = 0;
};

}  // namespace ghost::rocksdb_exp

#endif  // GHOST_EXPERIMENTS_ROCKSDB_POISSON_SCHEDULE_H_
