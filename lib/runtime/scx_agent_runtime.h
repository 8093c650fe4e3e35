// The agent runtime on sched_ext: RunAgent (agent_runtime.h) for
// --backend=sched_ext. The same policies and agent threads, on a stock
// kernel: it loads the sched_ext scheduler (lib/scx/scx_kernel.h) for the
// CPUs of --cpus (all online CPUs without it), schedules every thread
// whose policy is SCHED_EXT, and says in words when the kernel stopped
// the scheduler (watchdog, error). What the ghost kernel's enclaves offer
// and sched_ext does not is refused with a reason: --enclave (sched_ext
// has one scheduler, no enclaves), take-over of a running agent (one
// scheduler at a time: the old one must stop first), the control socket.
#ifndef GHOST_LIB_RUNTIME_SCX_AGENT_RUNTIME_H_
#define GHOST_LIB_RUNTIME_SCX_AGENT_RUNTIME_H_

#include "absl/status/status.h"
#include "lib/runtime/agent_runtime.h"
#include "lib/runtime/policy_registry.h"

namespace ghost {

absl::Status RunScxAgent(const AgentOptions& options,
                         const PolicyRegistry& registry);

}  // namespace ghost

#endif  // GHOST_LIB_RUNTIME_SCX_AGENT_RUNTIME_H_
