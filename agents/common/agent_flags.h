// The command line every agent program shares (--enclave, --cpus,
// --on_exit, --takeover, --slice, ...), read into the runtime's options.
// Each program adds how it names its policy (--policy, or agent_fifo's
// --mode).
#ifndef GHOST_AGENTS_COMMON_AGENT_FLAGS_H_
#define GHOST_AGENTS_COMMON_AGENT_FLAGS_H_

#include <string>

#include "lib/runtime/agent_runtime.h"

namespace ghost {

// The options the flags say, for `program` running `policy`.
AgentOptions AgentOptionsFromFlags(const std::string& program,
                                   const std::string& policy);

}  // namespace ghost

#endif  // GHOST_AGENTS_COMMON_AGENT_FLAGS_H_
