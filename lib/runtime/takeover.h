// Take-over: finding the agents that run an enclave now, so that a new
// agent of this runtime can replace them in place (in-place upgrade). The
// kernel says which status words are agents' (GHOST_SW_F_AGENT, with the agent
// thread's gtid); the enclave's tasks file lists the agent threads' tids,
// GHOST_OP_GET_GTID maps each tid to its gtid, and /proc names the process.
#ifndef GHOST_LIB_RUNTIME_TAKEOVER_H_
#define GHOST_LIB_RUNTIME_TAKEOVER_H_

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

// The programs built on this runtime: they hand over on SIGUSR1.
inline constexpr const char* kRuntimePrograms[] = {"agent_fifo", "ghost_agent"};

// Of `agents` (those running the enclave), the pids to take over from; an
// error if one is not a runtime program (it would not hand over), or if
// `allowed` is false.
absl::StatusOr<std::vector<pid_t>> ChoosePredecessors(
    unsigned int enclave_id, const std::vector<AgentProcess>& agents,
    bool allowed);

}  // namespace ghost

#endif  // GHOST_LIB_RUNTIME_TAKEOVER_H_
