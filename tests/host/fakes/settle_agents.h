// SettleAgents: runs a policy's agents on the fake kernel the way the agent
// class does. Each agent that something woke takes its CPU from the thread
// running there and runs its rounds, pass after pass, until every agent
// sleeps again (or `max_passes` go by: a policy that never sleeps).
//
//   int rounds = 0;
//   ASSERT_TRUE(SettleAgents(kernel, cpus, [&](int cpu) {
//     sched.Round(cpu);
//     ++rounds;
//   })) << "the agents never went to sleep";
#ifndef GHOST_TESTS_HOST_FAKES_SETTLE_AGENTS_H_
#define GHOST_TESTS_HOST_FAKES_SETTLE_AGENTS_H_

#include <vector>

#include "tests/host/fakes/fake_kernel.h"

namespace ghost::testing {

// True once every agent sleeps. `round(cpu)` runs one round of that CPU's
// agent; the kernel's caller CPU is set to it first.
template <typename RoundFn>
bool SettleAgents(FakeKernel& kernel, const std::vector<int>& cpus,
                  RoundFn round, int max_passes = 100) {
  for (int pass = 0; pass < max_passes; ++pass) {
    bool ran = false;
    for (int cpu : cpus) {
      if (kernel.agent_asleep(cpu)) continue;
      kernel.AgentTakesCpu(cpu);
      kernel.SetCallerCpu(cpu);
      round(cpu);
      ran = true;
    }
    if (!ran) return true;
  }
  return false;
}

}  // namespace ghost::testing

#endif  // GHOST_TESTS_HOST_FAKES_SETTLE_AGENTS_H_
