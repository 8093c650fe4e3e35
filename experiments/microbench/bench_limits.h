// How long the bench waits for anything before it gives a measurement up,
// as set by the flags of ghost_microbench (--wait_limit_ms,
// --measurement_limit_s, --runnable_timeout_ms). Passed down to every part
// that waits, so that none of them reads a flag itself.
//
//   const BenchLimits limits = {.wait_limit_ms = 5000,
//                               .measurement_limit_s = 120,
//                               .runnable_timeout_ms = 30000};
//   if (NowNs() > start + limits.wait_ns()) { ... give up ... }
#ifndef GHOST_EXPERIMENTS_MICROBENCH_BENCH_LIMITS_H_
#define GHOST_EXPERIMENTS_MICROBENCH_BENCH_LIMITS_H_

#include <cstdint>

namespace ghost::bench {

struct BenchLimits {
  int wait_limit_ms = 0;        // any single wait (a thread to run, ...)
  int measurement_limit_s = 0;  // one whole measurement
  // The bench enclaves' watchdog; kept above wait_limit_ms so that the
  // bench notices a stuck thread first and says why.
  int runnable_timeout_ms = 0;

  uint64_t wait_ns() const { return uint64_t(wait_limit_ms) * 1000000; }
  uint64_t measurement_ns() const {
    return uint64_t(measurement_limit_s) * 1000000000;
  }
};

}  // namespace ghost::bench

#endif  // GHOST_EXPERIMENTS_MICROBENCH_BENCH_LIMITS_H_
