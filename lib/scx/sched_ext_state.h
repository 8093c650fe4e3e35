// SchedExtState: what the running kernel says of sched_ext in sysfs
// (/sys/kernel/sched_ext: `state`, `root/ops`, `enable_seq`), and whether
// the sched_ext backend can load its scheduler there. Shared by the
// backend (a clear error before loading) and ghostctl (status in words).
#ifndef GHOST_LIB_SCX_SCHED_EXT_STATE_H_
#define GHOST_LIB_SCX_SCHED_EXT_STATE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace ghost::scx {

// The name our scheduler registers (sched_ext_ops.name).
inline constexpr char kSchedulerName[] = "ghost";

struct SchedExtState {
  bool present = false;  // the kernel has sched_ext at all
  std::string state;     // "disabled", "enabled", "enabling", "disabling"
  std::string ops;       // the loaded scheduler's name ("" if none)
  uint64_t enable_seq = 0;  // schedulers loaded since boot
};

// Reads <sysfs>/kernel/sched_ext. A kernel without sched_ext is not an
// error: `present` is false.
SchedExtState ReadSchedExtState(const std::string& sysfs = "/sys");

// OK if a scheduler can be loaded now; else why not, in words.
absl::Status CheckLoadable(const SchedExtState& s);

// Whether the kernel's BTF has the sched_ext kfuncs of Linux 6.12 that
// the scheduler calls (scx_bpf_dispatch, ...; 6.13 renamed them).
absl::Status CheckKfuncs(const std::string& vmlinux_btf =
                             "/sys/kernel/btf/vmlinux");

}  // namespace ghost::scx

#endif  // GHOST_LIB_SCX_SCHED_EXT_STATE_H_
