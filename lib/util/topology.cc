#include "lib/util/topology.h"

#include <dirent.h>
#include <numa.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/util/cpu_list.h"
#include "lib/util/errno_status.h"

namespace ghost {

namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return ErrnoStatus(errno, absl::StrCat("read ", path),
                       " (is the sysfs root right? the agent reads "
                       "/sys/devices/system/cpu)");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Entries of `dir` named <prefix><number>, as numbers.
std::vector<int> NumberedEntries(const std::string& dir,
                                 absl::string_view prefix) {
  std::vector<int> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (struct dirent* e = readdir(d)) {
    absl::string_view name = e->d_name;
    int n;
    if (absl::ConsumePrefix(&name, prefix) && absl::SimpleAtoi(name, &n)) {
      out.push_back(n);
    }
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

// The lowest CPU of the list in `path`; `fallback` if it cannot be read.
int LowestOf(const std::string& path, int fallback) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return fallback;
  absl::StatusOr<std::vector<int>> cpus = ParseCpuList(*text);
  if (!cpus.ok() || cpus->empty()) return fallback;
  return cpus->front();
}

// Every node `local` (10) from itself and `remote` (20) from the others:
// what Linux assumes when the firmware gives no distances.
std::vector<int> DefaultDistances(int nodes) {
  std::vector<int> d(nodes * nodes, 20);
  for (int n = 0; n < nodes; ++n) d[n * nodes + n] = 10;
  return d;
}

}  // namespace

absl::StatusOr<Topology> Topology::FromMachine() {
  absl::StatusOr<Topology> t = FromSysfs("/sys");
  if (!t.ok()) return t.status();
  // No NUMA in this kernel: sysfs has no nodes either, one node.
  if (numa_available() < 0) return t;
  t->nodes_ = numa_max_node() + 1;
  for (int cpu : t->cpus_) t->node_[cpu] = numa_node_of_cpu(cpu);
  t->distance_.assign(t->nodes_ * t->nodes_, -1);
  for (int a = 0; a < t->nodes_; ++a) {
    for (int b = 0; b < t->nodes_; ++b) {
      // 0: libnuma could not read it (a node that is not online).
      const int d = numa_distance(a, b);
      t->distance_[a * t->nodes_ + b] = d > 0 ? d : (a == b ? 10 : 20);
    }
  }
  return t;
}

int Topology::Distance(int node_a, int node_b) const {
  if (node_a < 0 || node_b < 0 || node_a >= nodes_ || node_b >= nodes_) {
    return -1;
  }
  return distance_[node_a * nodes_ + node_b];
}

absl::StatusOr<Topology> Topology::FromSysfs(const std::string& root) {
  const std::string cpu_dir = absl::StrCat(root, "/devices/system/cpu");
  absl::StatusOr<std::string> online = ReadFile(cpu_dir + "/online");
  if (!online.ok()) return online.status();
  absl::StatusOr<std::vector<int>> cpus = ParseCpuList(*online);
  if (!cpus.ok()) return cpus.status();
  if (cpus->empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(cpu_dir, "/online lists no CPU"));
  }

  Topology t;
  t.cpus_ = *cpus;
  const int n = t.cpus_.back() + 1;
  t.core_.assign(n, -1);
  t.l3_.assign(n, -1);
  t.node_.assign(n, -1);
  for (int cpu : t.cpus_) {
    const std::string dir = absl::StrCat(cpu_dir, "/cpu", cpu);
    t.core_[cpu] = LowestOf(dir + "/topology/thread_siblings_list", cpu);
    t.l3_[cpu] = cpu;  // alone unless an L3 says otherwise
    for (int index : NumberedEntries(dir + "/cache", "index")) {
      const std::string cache = absl::StrCat(dir, "/cache/index", index);
      absl::StatusOr<std::string> level = ReadFile(cache + "/level");
      if (level.ok() && absl::StripAsciiWhitespace(*level) == "3") {
        t.l3_[cpu] = LowestOf(cache + "/shared_cpu_list", cpu);
      }
    }
    t.node_[cpu] = 0;  // one node unless sysfs has node directories
  }
  const std::string node_dir = absl::StrCat(root, "/devices/system/node");
  const std::vector<int> nodes = NumberedEntries(node_dir, "node");
  t.nodes_ = nodes.empty() ? 1 : nodes.back() + 1;
  t.distance_ = DefaultDistances(t.nodes_);
  for (int node : nodes) {
    const std::string dir = absl::StrCat(node_dir, "/node", node);
    absl::StatusOr<std::string> text = ReadFile(dir + "/cpulist");
    if (!text.ok()) return text.status();
    absl::StatusOr<std::vector<int>> members = ParseCpuList(*text);
    if (!members.ok()) return members.status();
    for (int cpu : *members) {
      if (cpu < n) t.node_[cpu] = node;
    }
    // "10 20": the distances from this node to nodes 0, 1, ... in order.
    absl::StatusOr<std::string> row = ReadFile(dir + "/distance");
    if (!row.ok()) continue;  // keep the defaults
    int to = 0;
    for (absl::string_view word :
         absl::StrSplit(*row, ' ', absl::SkipWhitespace())) {
      int d;
      if (to < t.nodes_ && absl::SimpleAtoi(word, &d)) {
        t.distance_[node * t.nodes_ + to] = d;
      }
      ++to;
    }
  }
  return t;
}

int Topology::Closest(int from, absl::Span<const int> candidates) const {
  // Lower rank is closer: sibling, L3, node, anything.
  auto rank = [&](int cpu) {
    if (CoreOf(cpu) != -1 && CoreOf(cpu) == CoreOf(from)) return 0;
    if (L3Of(cpu) != -1 && L3Of(cpu) == L3Of(from)) return 1;
    if (NodeOf(cpu) != -1 && NodeOf(cpu) == NodeOf(from)) return 2;
    return 3;
  };
  int best = -1;
  int best_rank = 4;
  for (int cpu : candidates) {
    if (cpu == from) continue;
    const int r = rank(cpu);
    if (r < best_rank) {
      best = cpu;
      best_rank = r;
    }
  }
  return best;
}

}  // namespace ghost
