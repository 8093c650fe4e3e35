#include "experiments/microbench/agent_process.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "experiments/microbench/cpu_layout.h"
#include "lib/abi/ghost_run.h"

namespace ghost::bench {
namespace {

// Interrupts the agent's ghost_run() sleep (EINTR) so it sees `stop`.
void Nudge(int) {}

// Touches `bytes` of stack so that the agent's calls do not fault on it.
__attribute__((noinline)) void PrefaultStack(size_t bytes) {
  volatile char buf[256 * 1024];
  for (size_t i = 0; i < bytes && i < sizeof(buf); i += 4096) buf[i] = 0;
}

}  // namespace

[[noreturn]] void AgentMain(Lab& lab, Shared* shared, int rounds,
                            const BenchLimits& limits, const AgentBody& body) {
  struct sigaction nudge = {};
  nudge.sa_handler = Nudge;  // no SA_RESTART: ghost_run() returns EINTR
  sigaction(SIGUSR1, &nudge, nullptr);
  auto fail = [&](const absl::Status& s) {
    std::snprintf(shared->error, sizeof(shared->error), "%s",
                  std::string(s.message()).c_str());
    shared->phase.store(kFailed);
    _exit(1);
  };
  if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
    fail(absl::InternalError(absl::StrCat(
        "mlockall: ", std::strerror(errno),
        " (the agent must not fault: raise RLIMIT_MEMLOCK or run as root)")));
  }
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
