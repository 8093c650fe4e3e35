#include "tests/vm/fuzz/pinger.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/vm/fuzz/abi_rules.h"
#include "tests/vm/fuzz/layout.h"
#include "tests/vm/fuzz/syscalls.h"
#include "tests/vm/fuzz/trace.h"

namespace ghost::fuzz {

void PingerBody(World& w) {
  SetTraceName("pinger");
  FuzzRng rng(w.config.seed, 200);
  while (!w.stop_helpers.load()) {
    absl::SleepFor(absl::Milliseconds(rng.Range(1, 6)));
    const int which = static_cast<int>(rng.Below(World::kAgents));
    const int agent_cpu = w.agent_cpu[which].load();
    int cpu = agent_cpu >= 0 && !rng.OneIn(4)
                  ? agent_cpu
                  : static_cast<int>(rng.Range(1, kLastCpu));
    // No agent can be on CPU 0, and the others do not exist.
    const bool bad = rng.OneIn(8);
    if (bad) cpu = rng.Pick<int>({-1, 0, kNrCpus, 1 << 30, INT_MIN});
    ghost_agent_ping_args args = {.cpu = cpu};
    Trace(absl::StrCat("ping ", cpu));
    const Outcome o = RawRun(GHOST_OP_AGENT_PING, &args, sizeof(args));
    w.ledger.Record("ping", o.ok, o.err,
                    {RunErrnos(GHOST_OP_AGENT_PING), !bad},
                    absl::StrCat("cpu ", cpu));
    const pid_t agent = w.agent_tid[which].load();
    if (agent > 0 && rng.OneIn(30)) {
      syscall(SYS_tgkill, getpid(), agent, SIGUSR1);
      w.ledger.Count("signal.agent");
    }
  }
}

}  // namespace ghost::fuzz
