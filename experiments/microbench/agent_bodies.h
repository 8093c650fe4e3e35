// The agent's side of each ghost measurement: one policy per row of the
// table, each a loop of rounds that leaves one or two samples per round in
// Shared (a, b). They run in the agent process (agent_process.h) on CPU 1.
//
//   GhostSpec spec = {..., .agent = LocalScheduleAgent};
//   .agent = [](AgentContext& c) { return MessageAgent(c, /*spinning=*/true); }
#ifndef GHOST_EXPERIMENTS_MICROBENCH_AGENT_BODIES_H_
#define GHOST_EXPERIMENTS_MICROBENCH_AGENT_BODIES_H_

#include "absl/status/status.h"
#include "experiments/microbench/agent_context.h"

namespace ghost::bench {

// Local schedule: commit worker 0 onto the agent's own CPU with
// GHOST_COMMIT_F_BLOCK; the worker runs (timestamp), yields, and its
// yield wakes the agent (timestamp). Sample a: commit issued -> the worker
// runs; b: the round trip back to the agent.
absl::Status LocalScheduleAgent(AgentContext& ctx);

// Remote latch: the workers 0..n-1 on the remote CPUs 2..n+1
// (CpuLayout::RemoteCpu), committed in one call
// by an agent that spins (no wakeups). Sample a: commit issued -> the last
// of them runs; b: the commit system call.
absl::Status RemoteLatchAgent(AgentContext& ctx);

// Message delivery: the bench changes worker 0's nice value from CPU 0;
// sample a: the event's time (in the message) -> the agent has it. The
// agent blocks in ghost_run() between messages, or polls if `spinning`.
absl::Status MessageAgent(AgentContext& ctx, bool spinning);

}  // namespace ghost::bench

#endif  // GHOST_EXPERIMENTS_MICROBENCH_AGENT_BODIES_H_
