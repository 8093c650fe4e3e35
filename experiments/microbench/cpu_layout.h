// Which CPU does what in the bench (it needs 4): CPU 0 runs the bench's
// main thread, CPU 1 the agent (and both CFS ping-pong threads), CPUs 2-3
// the threads that the agent latches remotely (and the CFS wakee, on 2).
// The bench enclaves own CPUs 1-3.
#ifndef GHOST_EXPERIMENTS_MICROBENCH_CPU_LAYOUT_H_
#define GHOST_EXPERIMENTS_MICROBENCH_CPU_LAYOUT_H_

namespace ghost::bench {

constexpr int kAgentCpu = 1;

}  // namespace ghost::bench

#endif  // GHOST_EXPERIMENTS_MICROBENCH_CPU_LAYOUT_H_
