// Pads a request to a target service time counted in the thread's own CPU
// time (CLOCK_THREAD_CPUTIME_ID): while the thread is preempted the clock
// stands still, so a preempted request still gets its full service and the
// time it waited shows up as latency, not as shorter work.
//
//   const int64_t cpu0 = ThreadCpuNs();
//   db.Get(key);                                  // the real work
//   PadResult r = PadToCpu(cpu0, target_ns);      // spin the rest
#ifndef GHOST_EXPERIMENTS_ROCKSDB_CPU_PADDING_H_
#define GHOST_EXPERIMENTS_ROCKSDB_CPU_PADDING_H_

#include <cstdint>

namespace ghost::rocksdb_exp {

struct PadResult {
  int64_t work_cpu_ns = 0;   // CPU time of the real work before padding
  int64_t total_cpu_ns = 0;  // CPU time when padding stopped (>= target)
  bool overshot = false;     // the real work alone took longer than target
};

// Spins until this thread has used `target_ns` of CPU time since it read
// `start_cpu_ns` (ThreadCpuNs()). Returns at once if it already has.
PadResult PadToCpu(int64_t start_cpu_ns, int64_t target_ns);

}  // namespace ghost::rocksdb_exp

#endif  // GHOST_EXPERIMENTS_ROCKSDB_CPU_PADDING_H_
