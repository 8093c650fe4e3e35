#include "lib/agent/policy.h"

#include <algorithm>

namespace ghost {

Policy::Policy(KernelInterface& kernel, TaskSlots& tasks,
               absl::Span<const int> cpus)
    : Scheduler(kernel, tasks),
      agent_word_(
          cpus.empty() ? 0 : *std::max_element(cpus.begin(), cpus.end()) + 1,
          0) {}

void Policy::AgentAttached(int cpu, uint32_t sw_index) {
  agent_word_[cpu] = sw_index;
}

}  // namespace ghost
