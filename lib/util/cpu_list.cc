#include "lib/util/cpu_list.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace ghost {

namespace {

// CPU numbers beyond this are certainly a typo (Linux's NR_CPUS max).
constexpr int kMaxCpu = 8191;

absl::StatusOr<int> ParseCpu(absl::string_view s, absl::string_view whole) {
  int cpu;
  if (s.empty() || !std::all_of(s.begin(), s.end(), ::isdigit) ||
      !absl::SimpleAtoi(s, &cpu) || cpu > kMaxCpu) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad CPU \"", s, "\" in CPU list \"", whole,
                     "\": expected numbers and ranges like 0-2,5"));
  }
  return cpu;
}

}  // namespace

absl::StatusOr<std::vector<int>> ParseCpuList(absl::string_view text) {
  const absl::string_view whole = absl::StripAsciiWhitespace(text);
  std::vector<int> cpus;
  if (whole.empty()) return cpus;
  for (absl::string_view part : absl::StrSplit(whole, ',')) {
    std::vector<absl::string_view> ends = absl::StrSplit(part, '-');
    if (ends.size() > 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad range \"", part, "\" in CPU list \"", whole, "\""));
    }
    absl::StatusOr<int> lo = ParseCpu(ends[0], whole);
    if (!lo.ok()) return lo.status();
    absl::StatusOr<int> hi = ends.size() == 2 ? ParseCpu(ends[1], whole) : lo;
    if (!hi.ok()) return hi.status();
    if (*hi < *lo) {
      return absl::InvalidArgumentError(absl::StrCat(
          "range \"", part, "\" in CPU list \"", whole, "\" runs backwards"));
    }
    for (int cpu = *lo; cpu <= *hi; ++cpu) cpus.push_back(cpu);
  }
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  return cpus;
}

std::string FormatCpuList(absl::Span<const int> cpus) {
  std::vector<int> sorted(cpus.begin(), cpus.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::string out;
  for (size_t i = 0; i < sorted.size();) {
    size_t j = i;
    while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1) ++j;
    if (!out.empty()) out += ",";
    absl::StrAppend(&out, sorted[i]);
    if (j > i) absl::StrAppend(&out, "-", sorted[j]);
    i = j + 1;
  }
  return out;
}

}  // namespace ghost
