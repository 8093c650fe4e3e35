// CPU lists as ghostfs and /sys print them: "0-3,6" (empty for none).
//
//   absl::StatusOr<std::vector<int>> cpus = ParseCpuList("1-3,5");  // 1 2 3 5
//   FormatCpuList({1, 2, 3, 5});                                     // "1-3,5"
#ifndef GHOST_TOOLS_GHOSTCTL_CPULIST_H_
#define GHOST_TOOLS_GHOSTCTL_CPULIST_H_

#include <map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ghost::ctl {

// What ParseCpuList accepts, for error messages.
inline constexpr char kCpuListSyntax[] =
    "CPU numbers and ranges separated by commas, e.g. 1-3,6 (an empty list "
    "releases every CPU)";

// Sorted, without duplicates. Surrounding whitespace (a trailing newline) is
// ignored. InvalidArgument, naming the syntax, for anything else.
absl::StatusOr<std::vector<int>> ParseCpuList(absl::string_view text);

// The shortest list form of `cpus` (sorted, unique).
std::string FormatCpuList(const std::vector<int>& cpus);

// Checks `wanted` for enclave `id` against the online CPUs and the CPUs
// of the other enclaves (`others`, by id), before the kernel says EINVAL:
// the error names each offending CPU and its owner.
absl::Status CheckCpuAssignment(
    unsigned int id, const std::vector<int>& wanted,
    const std::vector<int>& online,
    const std::map<unsigned int, std::vector<int>>& others);

}  // namespace ghost::ctl

#endif  // GHOST_TOOLS_GHOSTCTL_CPULIST_H_
