#include "lib/util/topology.h"

#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
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

}  // namespace

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
  for (int node : NumberedEntries(node_dir, "node")) {
    absl::StatusOr<std::string> text =
        ReadFile(absl::StrCat(node_dir, "/node", node, "/cpulist"));
    if (!text.ok()) return text.status();
    absl::StatusOr<std::vector<int>> members = ParseCpuList(*text);
    if (!members.ok()) return members.status();
    for (int cpu : *members) {
      if (cpu < n) t.node_[cpu] = node;
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
