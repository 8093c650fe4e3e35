// The bench's one clock: CLOCK_MONOTONIC in ns. Every timestamp the bench
// compares comes from here, whichever process or thread takes it, so that
// the kernel's message times (also CLOCK_MONOTONIC) compare with them too.
//
//   const uint64_t t0 = NowNs();
//   ...
//   samples.push_back(NowNs() - t0);
#ifndef GHOST_EXPERIMENTS_MICROBENCH_BENCH_CLOCK_H_
#define GHOST_EXPERIMENTS_MICROBENCH_BENCH_CLOCK_H_

#include <time.h>

#include <cstdint>

namespace ghost::bench {

inline uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace ghost::bench

#endif  // GHOST_EXPERIMENTS_MICROBENCH_BENCH_CLOCK_H_
