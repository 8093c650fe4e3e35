#include "lib/runtime/policy_setup.h"

#include <iostream>

#include "lib/runtime/agent_process_setup.h"

namespace ghost {

absl::StatusOr<std::unique_ptr<Policy>> ReadyPolicy(
    const char* program, const PolicyInfo& info, KernelInterface& kernel,
    const std::vector<int>& cpus, const Topology* topology,
    std::optional<absl::Duration> slice) {
  absl::StatusOr<std::unique_ptr<Policy>> policy = info.make(
      kernel, PolicyArgs{.cpus = cpus, .topology = topology, .slice = slice});
  if (!policy.ok()) return policy.status();
  if (absl::Status s = (*policy)->Init(); !s.ok()) return s;
  // Agent threads need little stack; with everything locked, the default
  // 8 MiB each would be faulted in while the enclave waits for us.
  SetThreadStackSize(kAgentStackBytes);
  // Page faults on the hot path would stall every CPU we schedule.
  if (absl::Status s = LockAgentMemory(); !s.ok()) {
    std::cerr << program << ": " << s.message() << "; running unlocked\n";
  }
  return policy;
}

}  // namespace ghost
