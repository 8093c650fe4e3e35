#include "tools/ghostctl/cpulist.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/util/cpu_list.h"

namespace ghost::ctl {

// The parsing is the library's (lib/util/cpu_list.h); ghostctl adds the syntax
// to its message, since a user typed the list.
absl::StatusOr<std::vector<int>> ParseCpuList(absl::string_view text) {
  absl::StatusOr<std::vector<int>> cpus = ::ghost::ParseCpuList(text);
  if (!cpus.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        cpus.status().message(), "; expected ", kCpuListSyntax));
  }
  return cpus;
}

std::string FormatCpuList(const std::vector<int>& cpus) {
  return ::ghost::FormatCpuList(cpus);
}

absl::Status CheckCpuAssignment(
    unsigned int id, const std::vector<int>& wanted,
    const std::vector<int>& online,
    const std::map<unsigned int, std::vector<int>>& others) {
  std::vector<int> absent;
  std::map<unsigned int, std::vector<int>> taken;  // by owner
  for (int cpu : wanted) {
    if (!std::binary_search(online.begin(), online.end(), cpu)) {
      absent.push_back(cpu);
      continue;
    }
    for (const auto& [other, cpus] : others) {
      if (other != id && std::binary_search(cpus.begin(), cpus.end(), cpu)) {
        taken[other].push_back(cpu);
      }
    }
  }
  std::vector<std::string> problems;
  if (!absent.empty()) {
    problems.push_back(absl::StrCat(
        absent.size() == 1 ? "CPU " : "CPUs ", FormatCpuList(absent),
        absent.size() == 1 ? " does not exist or is offline"
                           : " do not exist or are offline",
        " (online: ", FormatCpuList(online), ")"));
  }
  for (const auto& [other, cpus] : taken) {
    problems.push_back(absl::StrCat(
        cpus.size() == 1 ? "CPU " : "CPUs ", FormatCpuList(cpus),
        cpus.size() == 1 ? " belongs" : " belong", " to enclave ", other));
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "cannot give enclave ", id, " CPUs ", FormatCpuList(wanted), ": ",
      absl::StrJoin(problems, "; "),
      ". An enclave's CPUs must be online and in no other enclave"));
}

}  // namespace ghost::ctl
