// The calibration's arithmetic: given what a Get, a Range scan, a
// scheduling round trip and the dispatch path cost in this VM, the CPU time
// each request is padded to. A Get must be several times the scheduling
// cost, or the experiment measures the scheduler's overhead rather than its
// decisions; and the request rate at full load must stay well below what
// the generator and dispatcher (one CPU) can carry, or every mode
// saturates at the dispatcher. A Range is a fixed multiple of a Get (the
// long requests behind which short ones queue). Both are never below what
// the real work takes.
//
//   ServiceChoice c = ChooseServiceTimes({.get_ns = 30'000,
//       .range_ns = 900'000, .sched_round_trip_ns = 150'000}, {});
//   c.get_ns   // 750'000: 5 x 150 us, rounded up to 10 us
#ifndef GHOST_EXPERIMENTS_ROCKSDB_SERVICE_CHOICE_H_
#define GHOST_EXPERIMENTS_ROCKSDB_SERVICE_CHOICE_H_

#include <cstdint>
#include <string>

namespace ghost::rocksdb_exp {

struct Measured {
  int64_t get_ns = 0;               // median CPU time of one real Get
  int64_t range_ns = 0;             // median CPU time of one real Range
  int64_t sched_round_trip_ns = 0;  // the costlier mode's median round trip
  // Requests per second the dispatch path completes with empty requests
  // (the slower mode's); 0: not measured.
  double dispatch_capacity_rps = 0;
};

struct ServicePolicy {
  double sched_multiple = 5;   // Get >= this x the scheduling round trip
  double range_multiple = 20;  // Range = this x Get (if the work fits)
  // At load 1.0 (all `cpus` busy) the rate is at most capacity / this.
  double dispatch_headroom = 4;
  int cpus = 3;
  double range_fraction = 0.01;
  int64_t round_to_ns = 10'000;
};

struct ServiceChoice {
  int64_t get_ns = 0;
  int64_t range_ns = 0;
  std::string why_get;  // which bound decided, in words
};

ServiceChoice ChooseServiceTimes(const Measured& m, const ServicePolicy& p);

}  // namespace ghost::rocksdb_exp

#endif  // GHOST_EXPERIMENTS_ROCKSDB_SERVICE_CHOICE_H_
