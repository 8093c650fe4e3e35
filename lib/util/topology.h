// Topology: which CPUs share a core (SMT siblings), a last-level cache
// (L3) and a NUMA node, and how far apart the nodes are. Policies use it
// to keep work close: a centralized agent that must leave its CPU moves
// its role to a sibling first, then to a CPU on the same L3, then on the
// same node; it places a thread on an idle CPU of the node it last ran on.
//
//   absl::StatusOr<Topology> topo = Topology::FromMachine();
//   int next = topo->Closest(3, {1, 2, 5});   // a sibling of 3 if any
//   int d = topo->Distance(topo->NodeOf(3), topo->NodeOf(5));  // 10: same
//
// FromMachine() reads cores and caches from /sys and the NUMA nodes and
// their distances from libnuma. FromSysfs() reads everything from a sysfs
// tree at any root, so host tests can build a fake one. Files read, under
// <root>/devices/system/: cpu/online, cpu/cpuN/topology/
// thread_siblings_list, cpu/cpuN/cache/index*/{level, shared_cpu_list},
// node/nodeN/{cpulist, distance}. A machine without NUMA (no node
// directory, CONFIG_NUMA=n, or libnuma says NUMA is not available) is one
// node; a CPU without an L3 entry shares its cache with nobody.
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
  static absl::StatusOr<Topology> FromMachine();

  // The online CPUs, ascending.
  const std::vector<int>& cpus() const { return cpus_; }

  // Ids are the lowest CPU of the group; -1 for a CPU that is not online.
  int CoreOf(int cpu) const { return Lookup(core_, cpu); }
  int L3Of(int cpu) const { return Lookup(l3_, cpu); }
  int NodeOf(int cpu) const { return Lookup(node_, cpu); }

  // NUMA nodes: ids 0 .. nodes() - 1 (a node without CPUs counts too).
  int nodes() const { return nodes_; }

  // The distance between two nodes as the firmware gives it (ACPI SLIT):
  // 10 within a node, more the farther; -1 if either is not a node.
  int Distance(int node_a, int node_b) const;

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
  int nodes_ = 1;
  std::vector<int> distance_;  // nodes_ x nodes_, row by row
};

}  // namespace ghost

#endif  // GHOST_LIB_UTIL_TOPOLOGY_H_
