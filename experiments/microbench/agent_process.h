// The agent process of a ghost measurement, forked by the bench.
//
// Each ghost measurement has an enclave of its own and runs its agent in a
// child process: an agent that shares an address space with the threads it
// schedules can deadlock on it (a ghost thread preempted while it holds the
// mmap lock waits for the agent, and an agent that faults waits for the
// lock). The agent locks its memory (mlockall) and does not allocate on its
// hot path; timestamps and results come back through shared memory.
//
//   AgentChild::Start([&]() -> int {   // lib/runtime/agent_child.h
//     AgentMain(lab, shared, rounds, limits, LocalScheduleAgent);
//   });
//   ... wait for shared->phase == kAttached, then set shared->go ...
//
// AgentChild's nudges interrupt the agent's ghost_run() sleep so that it
// sees `stop`.
#ifndef GHOST_EXPERIMENTS_MICROBENCH_AGENT_PROCESS_H_
#define GHOST_EXPERIMENTS_MICROBENCH_AGENT_PROCESS_H_

#include "experiments/microbench/agent_context.h"
#include "experiments/microbench/bench_lab.h"
#include "experiments/microbench/bench_limits.h"
#include "experiments/microbench/bench_shared.h"

namespace ghost::bench {

// In the child: attach as the agent of CPU 1, lock memory, wait for the
// bench's go, run `body`; exits 0 with phase kDone, or 1 with phase
// kFailed and the reason in shared->error.
[[noreturn]] void AgentMain(Lab& lab, Shared* shared, int rounds,
                            const BenchLimits& limits, const AgentBody& body);

}  // namespace ghost::bench

#endif  // GHOST_EXPERIMENTS_MICROBENCH_AGENT_PROCESS_H_
