// BackendChoice: which kernel interface an agent program runs its policy
// on (--backend): the ghost kernel (ghostfs, enclaves, ghost_run) or a
// stock kernel's sched_ext (lib/scx). "auto" takes the ghost kernel when
// the kernel has one (/sys/fs/ghost exists), else sched_ext when the
// kernel has that (/sys/kernel/sched_ext), else says neither is there.
#ifndef GHOST_LIB_RUNTIME_BACKEND_CHOICE_H_
#define GHOST_LIB_RUNTIME_BACKEND_CHOICE_H_

#include <string>

#include "absl/status/statusor.h"

namespace ghost {

enum class Backend { kGhost, kSchedExt };

const char* BackendName(Backend b);  // "ghost", "sched_ext"

// `flag`: "ghost", "sched_ext" or "auto" ("" is "auto"). `ghostfs` and
// `sysfs`: where to look for each kernel's files.
absl::StatusOr<Backend> ChooseBackend(const std::string& flag,
                                      const std::string& ghostfs,
                                      const std::string& sysfs);

}  // namespace ghost

#endif  // GHOST_LIB_RUNTIME_BACKEND_CHOICE_H_
