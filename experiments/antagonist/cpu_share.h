// What an antagonist thread got: its CPU time over the wall time between
// two samples. The antagonist's main thread samples every thread's CPU
// clock (pthread_getcpuclockid) at a fixed period, so a thread that is
// never scheduled still gets samples (its clock just stands still).
//
//   std::vector<ShareSample> s = ...;     // {t_ns, {cpu_ns per thread}}
//   std::vector<double> got = SharesBetween(s.front(), s.back());
#ifndef GHOST_EXPERIMENTS_ANTAGONIST_CPU_SHARE_H_
#define GHOST_EXPERIMENTS_ANTAGONIST_CPU_SHARE_H_

#include <cstdint>
#include <vector>

namespace ghost::antagonist {

struct ShareSample {
  int64_t t_ns = 0;
  std::vector<int64_t> cpu_ns;  // one per thread
};

// Per thread, (CPU time gained) / (wall time) from `a` to `b`; empty if
// the samples do not cover the same threads or no time passed.
std::vector<double> SharesBetween(const ShareSample& a, const ShareSample& b);

// The sum of `shares`: how many CPUs the threads got together.
double TotalCpus(const std::vector<double>& shares);

}  // namespace ghost::antagonist

#endif  // GHOST_EXPERIMENTS_ANTAGONIST_CPU_SHARE_H_
