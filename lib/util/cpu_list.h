// CPU lists in the kernel's text form ("0-2,5"), as sysfs, ghostfs
// cpulist files and the agent's --cpus flag spell them.
#ifndef GHOST_LIB_UTIL_CPU_LIST_H_
#define GHOST_LIB_UTIL_CPU_LIST_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace ghost {

// The CPUs of `text`, ascending and without duplicates; "" and "\n" are
// the empty list. InvalidArgument (naming the bad part) for anything else.
absl::StatusOr<std::vector<int>> ParseCpuList(absl::string_view text);

// The shortest list text for `cpus` (any order): {0,1,2,5} -> "0-2,5".
std::string FormatCpuList(absl::Span<const int> cpus);

}  // namespace ghost

#endif  // GHOST_LIB_UTIL_CPU_LIST_H_
