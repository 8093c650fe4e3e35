// Which CPU does what in the bench, from the machine's CPU count n (at
// least 4): CPU 0 runs the bench's main thread, CPU 1 the agent (and both
// CFS ping-pong threads), CPUs 2..n-1 the threads that the agent latches
// remotely (and the CFS wakee, on 2). The bench enclaves own CPUs 1..n-1.
//
// The remote latch is measured for groups of 1 and 2 CPUs and, when there
// are more than 2 remote CPUs, for all of them in one commit (the group
// commit). Pure; host-tested by cpu_layout_test.cc.
//
//   absl::StatusOr<CpuLayout> layout = LayoutFor(sysconf(_SC_NPROCESSORS_ONLN));
//   if (!layout.ok()) return layout.status();   // fewer than 4 CPUs
//   lab.enclave->SetCpus(layout->EnclaveCpus());  // "1-7" with 8 CPUs
//   for (int n : layout->RemoteGroups(kMaxWorkers)) ...  // 1, 2, 6
#ifndef GHOST_EXPERIMENTS_MICROBENCH_CPU_LAYOUT_H_
#define GHOST_EXPERIMENTS_MICROBENCH_CPU_LAYOUT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ghost::bench {

enum : int {
  kBenchCpu = 0,        // the bench's main thread
  kAgentCpu = 1,        // every measurement's agent
  kFirstRemoteCpu = 2,  // the first CPU latched remotely
  kMinCpus = 4,         // 2 remote CPUs: the smallest group commit
};

struct CpuLayout {
  int nr_cpus = kMinCpus;

  // CPUs 2..n-1.
  int nr_remote() const { return nr_cpus - kFirstRemoteCpu; }
  // The CPU of the i-th remote thread (0 <= i < nr_remote()).
  int RemoteCpu(int i) const { return kFirstRemoteCpu + i; }
  // The enclaves' CPU list, for <enclave>/cpus: "1-<n-1>".
  std::string EnclaveCpus() const;
  // Whether `cpu` belongs to the enclaves (1..n-1).
  bool InEnclave(int cpu) const { return cpu >= kAgentCpu && cpu < nr_cpus; }
  // The sizes of the remote commits measured, ascending: 1, 2 and, if there
  // are more remote CPUs, all of them (at most `max_group`).
  std::vector<int> RemoteGroups(int max_group) const;
};

// The layout for a machine with CPUs 0..nr_cpus-1; an error that says what
// each CPU is for if there are fewer than 4.
absl::StatusOr<CpuLayout> LayoutFor(int nr_cpus);

}  // namespace ghost::bench

#endif  // GHOST_EXPERIMENTS_MICROBENCH_CPU_LAYOUT_H_
