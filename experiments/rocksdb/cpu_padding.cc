#include "experiments/rocksdb/cpu_padding.h"

#include "experiments/rocksdb/cpu_clock.h"

namespace ghost::rocksdb_exp {

PadResult PadToCpu(int64_t start_cpu_ns, int64_t target_ns) {
  PadResult r;
  int64_t now = ThreadCpuNs();
  r.work_cpu_ns = now - start_cpu_ns;
  r.overshot = r.work_cpu_ns > target_ns;
  // Reading the thread clock is itself the spin: a vDSO-less syscall in
  // the VM costs about a microsecond, fine grained enough for targets of
  // tens of microseconds and more.
  while (now - start_cpu_ns < target_ns) now = ThreadCpuNs();
  r.total_cpu_ns = now - start_cpu_ns;
  return r;
}

}  // namespace ghost::rocksdb_exp
