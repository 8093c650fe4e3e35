// Topology: which CPUs share a core (SMT siblings), a last-level cache
// (L3) and a NUMA node, read from sysfs. Policies use it to keep work
// close: a centralized agent that must leave its CPU moves its role to a
// sibling first, then to a CPU on the same L3, then on the same node.
//
// It parses a sysfs tree from any root, so host tests can build a fake one:
//
//   absl::StatusOr<Topology> topo = Topology::FromSysfs("/sys");
//   int next = topo->Closest(3, {1, 2, 5});   // a sibling of 3 if any
//
// Files read, under <root>/devices/system/: cpu/online,
// cpu/cpuN/topology/thread_siblings_list, cpu/cpuN/cache/index*/{level,
// shared_cpu_list} and node/nodeN/cpulist. A machine without the node
// directory (CONFIG_NUMA=n) is one node; a CPU without an L3 entry shares
// its cache with nobody.
#ifndef GHOST_LIB_UTIL_TOPOLOGY_H_
#define GHOST_LIB_UTIL_TOPOLOGY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace ghost {

class Topology {
 public:
  static absl::StatusOr<Topology> FromSysfs(const std::string& root);

  // The online CPUs, ascending.
  const std::vector<int>& cpus() const { return cpus_; }

  // Ids are the lowest CPU of the group; -1 for a CPU that is not online.
  int CoreOf(int cpu) const { return Lookup(core_, cpu); }
  int L3Of(int cpu) const { return Lookup(l3_, cpu); }
  int NodeOf(int cpu) const { return Lookup(node_, cpu); }

  // Of `candidates` (not `from` itself), the one nearest to `from`: an SMT
  // sibling, else one on the same L3, else on the same node, else the
  // first. -1 if there is no candidate.
  int Closest(int from, absl::Span<const int> candidates) const;

 private:
  static int Lookup(const std::vector<int>& v, int cpu) {
    return cpu >= 0 && cpu < static_cast<int>(v.size()) ? v[cpu] : -1;
  }

  std::vector<int> cpus_;
  std::vector<int> core_;  // by CPU number
  std::vector<int> l3_;
  std::vector<int> node_;
};

}  // namespace ghost

#endif  // GHOST_LIB_UTIL_TOPOLOGY_H_
