#include "tools/ghostctl/cpulist.h"

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace ghost::ctl {
namespace {

// Larger than any machine's CPU count; keeps "0-999999999" from allocating.
constexpr int kMaxCpu = 8191;

bool ParseCpu(absl::string_view text, int* cpu) {
  if (text.empty() || text.size() > 5 ||
      !std::all_of(text.begin(), text.end(), absl::ascii_isdigit)) {
    return false;
  }
  *cpu = std::stoi(std::string(text));
  return *cpu <= kMaxCpu;
}

absl::Status Bad(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "bad CPU list \"", text, "\": ", why, "; expected ", kCpuListSyntax));
}

}  // namespace

absl::StatusOr<std::vector<int>> ParseCpuList(absl::string_view text) {
  const absl::string_view list = absl::StripAsciiWhitespace(text);
  std::vector<int> cpus;
  if (list.empty()) return cpus;
  for (absl::string_view item : absl::StrSplit(list, ',')) {
    std::pair<absl::string_view, absl::string_view> range =
        absl::StrSplit(item, absl::MaxSplits('-', 1));
    const bool is_range = item.find('-') != absl::string_view::npos;
    int first, last;
    if (!ParseCpu(range.first, &first) ||
        (is_range && !ParseCpu(range.second, &last))) {
      return Bad(text, absl::StrCat("\"", item, "\" is not a CPU or range"));
    }
    if (!is_range) last = first;
    if (last < first) {
      return Bad(text, absl::StrCat("range \"", item, "\" runs backwards"));
    }
    for (int cpu = first; cpu <= last; ++cpu) cpus.push_back(cpu);
  }
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  return cpus;
}

std::string FormatCpuList(const std::vector<int>& cpus) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < cpus.size();) {
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    parts.push_back(j == i ? absl::StrCat(cpus[i])
                           : absl::StrCat(cpus[i], "-", cpus[j]));
    i = j + 1;
  }
  return absl::StrJoin(parts, ",");
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
