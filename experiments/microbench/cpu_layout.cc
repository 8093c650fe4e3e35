#include "experiments/microbench/cpu_layout.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ghost::bench {

std::string CpuLayout::EnclaveCpus() const {
  return absl::StrCat(kAgentCpu, "-", nr_cpus - 1);
}

std::vector<int> CpuLayout::RemoteGroups(int max_group) const {
  std::vector<int> groups = {1, 2};
  const int all = std::min(nr_remote(), max_group);
  if (all > 2) groups.push_back(all);
  return groups;
}

absl::StatusOr<CpuLayout> LayoutFor(int nr_cpus) {
  if (nr_cpus < kMinCpus) {
    return absl::FailedPreconditionError(absl::StrCat(
        "needs at least ", kMinCpus, " CPUs (CPU ", kBenchCpu,
        " for the bench, ", kAgentCpu, " for the agent, ", kFirstRemoteCpu,
        " and up for the remote threads), this system has ", nr_cpus,
        ": run the lab with --smp 4 or more"));
  }
  return CpuLayout{.nr_cpus = nr_cpus};
}

}  // namespace ghost::bench
