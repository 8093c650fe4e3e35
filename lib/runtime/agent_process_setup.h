// What a process that runs agent threads does before they start, so that
// the agents never fault or wait on the hot path: lock its memory, give
// the agent threads small stacks (locked memory is faulted in at once),
// touch the stack it runs on, and let a signal interrupt an agent's sleep
// in ghost_run() (EINTR) without killing it.
//
// An agent needs a process of its own (docs/writing-a-scheduler.md): a
// ghost thread preempted while it holds its process's mmap lock waits for
// the agent, and an agent in the same process that faults waits for that
// lock. The agent programs (lib/runtime/agent_runtime.h) and the
// microbenchmarks' forked agents both start with these calls.
#ifndef GHOST_LIB_RUNTIME_AGENT_PROCESS_SETUP_H_
#define GHOST_LIB_RUNTIME_AGENT_PROCESS_SETUP_H_

#include <cstddef>

#include "absl/status/status.h"

namespace ghost {

// Threads created from now on get stacks of `bytes`.
void SetThreadStackSize(size_t bytes);

// The stack size of agent threads: enough for a policy's round.
inline constexpr size_t kAgentStackBytes = 512 * 1024;

// mlockall(MCL_CURRENT | MCL_FUTURE), with a hint on failure.
absl::Status LockAgentMemory();

// Touches `bytes` (at most 256 KiB) of the calling thread's stack, so
// that deep calls later do not fault.
void PrefaultStack(size_t bytes);

// `sig` only interrupts what the process waits in (no SA_RESTART): an
// agent asleep in ghost_run() returns EINTR and looks at its stop flag.
void InstallNudgeSignal(int sig);

}  // namespace ghost

#endif  // GHOST_LIB_RUNTIME_AGENT_PROCESS_SETUP_H_
