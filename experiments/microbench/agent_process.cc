#include "experiments/microbench/agent_process.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "experiments/microbench/cpu_layout.h"
#include "lib/abi/ghost_run.h"
#include "lib/runtime/agent_process_setup.h"

namespace ghost::bench {

[[noreturn]] void AgentMain(Lab& lab, Shared* shared, int rounds,
                            const BenchLimits& limits, const AgentBody& body) {
  // AgentChild installed the nudge: it interrupts the agent's ghost_run()
  // sleep so it sees `stop`.
  auto fail = [&](const absl::Status& s) {
    std::snprintf(shared->error, sizeof(shared->error), "%s",
                  std::string(s.message()).c_str());
    shared->phase.store(kFailed);
    _exit(1);
  };
  if (absl::Status s = LockAgentMemory(); !s.ok()) fail(s);
  PrefaultStack(256 * 1024);
  absl::StatusOr<uint32_t> sw = AttachAgent(lab.dir.get(), kAgentCpu);
  if (!sw.ok()) fail(sw.status());
  AgentContext ctx(lab, shared, *sw, rounds, limits);
  shared->phase.store(kAttached);
  ctx.At(kWaitingForGo);
  while (!shared->go.load()) {
    if (absl::Status s = ctx.Check(); !s.ok()) fail(s);
    usleep(100);  // the agent class runs us; let the bench's setup run too
  }
  if (absl::Status s = body(ctx); !s.ok()) fail(s);
  shared->phase.store(kDone);
  _exit(0);
}

}  // namespace ghost::bench
