#include "lib/runtime/backend_choice.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"

namespace ghost {

const char* BackendName(Backend b) {
  return b == Backend::kGhost ? "ghost" : "sched_ext";
}

absl::StatusOr<Backend> ChooseBackend(const std::string& flag,
                                      const std::string& ghostfs,
                                      const std::string& sysfs) {
  if (flag == "ghost") return Backend::kGhost;
  if (flag == "sched_ext") return Backend::kSchedExt;
  if (!flag.empty() && flag != "auto") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--backend=", flag, ": one of ghost, sched_ext, auto"));
  }
  // The ghost kernel has its mount point whether or not it is mounted.
  if (access(ghostfs.c_str(), F_OK) == 0) return Backend::kGhost;
  if (access((sysfs + "/kernel/sched_ext").c_str(), F_OK) == 0) {
    return Backend::kSchedExt;
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "this kernel has neither ghost (no ", ghostfs,
      ") nor sched_ext (no ", sysfs,
      "/kernel/sched_ext): boot the ghost kernel, or Linux 6.12+ with "
      "CONFIG_SCHED_CLASS_EXT"));
}

}  // namespace ghost
