// Finding the agent that runs an enclave now, so that a new agent_fifo can
// take over from it (in-place upgrade). The kernel says which status words
// are agents' (GHOST_SW_F_AGENT, with the agent thread's gtid); the
// enclave's tasks file lists the agent threads' tids, GHOST_OP_GET_GTID maps
// each tid to its gtid, and /proc names the process.
#ifndef GHOST_AGENTS_AGENT_FIFO_TAKEOVER_H_
#define GHOST_AGENTS_AGENT_FIFO_TAKEOVER_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/abi/enclave.h"
#include "lib/abi/status_word_region.h"

namespace ghost {

struct AgentProcess {
  pid_t pid;
  std::string comm;  // its /proc/<pid>/comm
};

// The processes (other than this one) whose threads are agents of
// `enclave`, one entry per process.
absl::StatusOr<std::vector<AgentProcess>> FindAgentProcesses(
    const Enclave& enclave, const StatusWordRegion& words);

}  // namespace ghost

#endif  // GHOST_AGENTS_AGENT_FIFO_TAKEOVER_H_
