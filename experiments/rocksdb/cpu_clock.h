// The two clocks of the experiment: CLOCK_MONOTONIC for every timestamp
// (the same clock in every thread and process of the VM, so the antagonist's
// samples and the RocksDB run's window line up) and the calling thread's
// CPU time, which advances only while the thread runs.
#ifndef GHOST_EXPERIMENTS_ROCKSDB_CPU_CLOCK_H_
#define GHOST_EXPERIMENTS_ROCKSDB_CPU_CLOCK_H_

#include <time.h>

#include <cstdint>

namespace ghost::rocksdb_exp {

inline int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

inline int64_t ThreadCpuNs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace ghost::rocksdb_exp

#endif  // GHOST_EXPERIMENTS_ROCKSDB_CPU_CLOCK_H_
