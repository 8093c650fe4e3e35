// The scheduling policies that ghost_agent (and agent_fifo) can run, by
// name. A new policy is one folder under schedulers/ and one line in
// policies.cc (plus its library in the BUILD deps next to it).
#ifndef GHOST_SCHEDULERS_POLICIES_H_
#define GHOST_SCHEDULERS_POLICIES_H_

#include "lib/runtime/policy_registry.h"

namespace ghost {

const PolicyRegistry& Policies();

}  // namespace ghost

#endif  // GHOST_SCHEDULERS_POLICIES_H_
