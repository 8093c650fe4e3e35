// ReadyPolicy: what every agent program does between choosing its kernel
// interface (ghost or sched_ext) and starting its agent threads: make the
// policy for the CPUs, initialize it, give agent threads small stacks and
// lock the process's memory (agent_process_setup.h says why).
#ifndef GHOST_LIB_RUNTIME_POLICY_SETUP_H_
#define GHOST_LIB_RUNTIME_POLICY_SETUP_H_

#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/agent/kernel_interface.h"
#include "lib/agent/policy.h"
#include "lib/runtime/policy_registry.h"
#include "lib/util/topology.h"

namespace ghost {

// `info`'s policy on `cpus` of `kernel`, initialized (for the ghost
// kernel its queue is the enclave's default from here on). A failure to
// lock memory is said on stderr as `program: ...` and is not fatal.
absl::StatusOr<std::unique_ptr<Policy>> ReadyPolicy(
    const char* program, const PolicyInfo& info, KernelInterface& kernel,
    const std::vector<int>& cpus, const Topology* topology,
    std::optional<absl::Duration> slice);

}  // namespace ghost

#endif  // GHOST_LIB_RUNTIME_POLICY_SETUP_H_
