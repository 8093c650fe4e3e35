// Where the centralized FIFO places a thread among the CPUs it can fill
// this round: near where the thread last ran. A thread's memory and warm
// caches are on the node it ran on, so a CPU of that node (or, failing
// that, of the nearest node) serves it best; only without a topology, or
// for a thread never seen on a CPU, does the first free CPU win.
//
//   int cpu = ChooseIdleCpu(free_cpus, t.cpu, topology,
//                           [&](int c) { return t.AllowedOn(c); });
//
// Pure and allocation-free: host tests check it alone, and the global
// agent calls it on its hot path.
#ifndef GHOST_SCHEDULERS_FIFO_CENTRALIZED_IDLE_CPU_CHOICE_H_
#define GHOST_SCHEDULERS_FIFO_CENTRALIZED_IDLE_CPU_CHOICE_H_

#include "absl/functional/function_ref.h"
#include "absl/types/span.h"
#include "lib/util/topology.h"

namespace ghost::fifo {

// Of the CPUs in `idle` (in the policy's order) that `allowed` accepts,
// the one whose node is nearest the node of `last_cpu` (the same node
// first); among equals, the first in `idle`. Without a `topology`, or
// with a `last_cpu` it does not know (-1), the first allowed one. -1 if
// `allowed` accepts none.
int ChooseIdleCpu(absl::Span<const int> idle, int last_cpu,
                  const Topology* topology,
                  absl::FunctionRef<bool(int)> allowed);

}  // namespace ghost::fifo

#endif  // GHOST_SCHEDULERS_FIFO_CENTRALIZED_IDLE_CPU_CHOICE_H_
