#include "lib/runtime/agent_runtime.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "lib/abi/abi_version.h"
#include "lib/abi/ghostfs_mount.h"
#include "lib/abi/privilege.h"
#include "lib/agent/agent_group.h"
#include "lib/agent/ghost_kernel.h"
#include "lib/runtime/agent_process_setup.h"
#include "lib/runtime/backend_choice.h"
#include "lib/runtime/census.h"
#include "lib/runtime/policy_setup.h"
#include "lib/runtime/control_server.h"
#include "lib/runtime/stop_request.h"
#include "lib/runtime/scx_agent_runtime.h"
#include "lib/runtime/takeover.h"
#include "lib/util/cpu_list.h"
#include "lib/util/topology.h"

namespace ghost {
namespace {

// Lives as long as the process: the signal thread holds it.
StopRequest& ProcessStopRequest() {
  static StopRequest* const stop = new StopRequest();
  return *stop;
}

void Say(const AgentOptions& o, const std::string& line) {
  std::printf("%s: %s\n", o.program.c_str(), line.c_str());
  std::fflush(stdout);
}

// Waits to be stopped. After a take-over, also watches for the first
// commit, to say how long the enclave went without one (the blackout).
StopReason WaitForStop(StopRequest& stop, const AgentOptions& o,
                       const Policy& policy,
                       std::optional<absl::Time> takeover_start) {
  for (;;) {
    const StopReason why = stop.WaitFor(
        takeover_start ? absl::Microseconds(200) : absl::InfiniteDuration());
    if (why != StopReason::kNone) return why;
    if (takeover_start && policy.txns().completed() > 0) {
      Say(o, absl::StrFormat(
                 "blackout %.3f ms (takeover signal to first commit)",
                 absl::ToDoubleMilliseconds(absl::Now() - *takeover_start)));
      takeover_start.reset();
    }
  }
}

// Why the enclave was destroyed under the stopped agents, if it was.
std::optional<std::string> DestroyedUnder(const AgentOptions& o,
                                          const AgentGroup& group,
                                          KernelInterface& kernel) {
  if (std::optional<std::string> why = group.destroyed()) return why;
  absl::StatusOr<std::optional<std::string>> why = kernel.WhyDestroyed();
  if (!why.ok()) {
    std::cerr << o.program << ": " << why.status().message() << "\n";
    return std::nullopt;
  }
  return *why;
}

AgentReport MakeReport(const AgentOptions& o, unsigned int enclave,
                       const std::vector<int>& cpus, absl::Time started,
                       Policy& policy) {
  AgentReport r;
  r.program = o.program;
  r.policy = o.policy;
  r.pid = getpid();
  r.enclave = enclave;
  r.cpus = FormatCpuList(cpus);
  r.started_unix_ms = absl::ToUnixMillis(started);
  const Scheduler::Stats& st = policy.stats();
  r.counters = {
      {"tasks", static_cast<uint64_t>(policy.tasks().live())},
      {"messages", st.messages.load()},
      {"commits", policy.txns().completed()},
      {"failed_commits", policy.txns().failed()},
      {"adopted", st.adopted.load()},
      {"resyncs", st.resyncs.load()},
      {"stale", st.stale.load()},
      {"gaps", st.gaps.load()},
      {"illegal", st.illegal.load()},
  };
  policy.AddCounters(r.counters);
  return r;
}

std::string Counters(const Policy& policy) {
  Policy::Counters own;
  policy.AddCounters(own);
  return StopTotals(policy.txns(), policy.stats().messages.load(), own);
}

}  // namespace

absl::Status RunAgent(const AgentOptions& o, const PolicyRegistry& registry) {
  absl::StatusOr<Backend> backend =
      ChooseBackend(o.backend, o.enclave.ghostfs, o.sysfs);
  if (!backend.ok()) return backend.status();
  if (*backend == Backend::kSchedExt) return RunScxAgent(o, registry);
  const absl::Time start = absl::Now();
  absl::StatusOr<const PolicyInfo*> info = registry.Find(o.policy);
  if (!info.ok()) return info.status();
  if (absl::StatusOr<OnExit> valid = ParseOnExit(o.on_exit, false);
      !valid.ok()) {
    return valid.status();
  }
  // An agent maps cpu_data and the status words and attaches to CPUs.
  if (absl::Status s =
          RequireEnclaveControl("scheduling an enclave", CallerPrivileges());
      !s.ok()) {
    return s;
  }
  if (absl::Status s = EnsureGhostfsMounted(o.enclave.ghostfs); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckKernelAbiVersion(o.enclave.ghostfs); !s.ok()) {
    return s;
  }
  // Signals go to one thread of ours; every thread started later inherits
  // the blocked mask.
  StopRequest& stop = ProcessStopRequest();
  ForwardStopSignals(stop);

  absl::StatusOr<ChosenEnclave> chosen = OpenOrCreateEnclave(o.enclave);
  if (!chosen.ok()) return chosen.status();
  Enclave& enclave = chosen->enclave;
  const OnExit on_exit = *ParseOnExit(o.on_exit, chosen->created);

  absl::StatusOr<std::unique_ptr<GhostKernel>> kernel =
      GhostKernel::Open(enclave);
  if (!kernel.ok()) return kernel.status();
  absl::StatusOr<std::vector<AgentProcess>> running =
      FindAgentProcesses(enclave, (*kernel)->words());
  if (!running.ok()) return running.status();
  absl::StatusOr<std::vector<pid_t>> old =
      ChoosePredecessors(enclave.id(), *running, o.takeover);
  if (!old.ok()) return old.status();
  absl::StatusOr<std::vector<int>> cpus = (*kernel)->EnclaveCpus();
  if (!cpus.ok()) return cpus.status();
  if (cpus->empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "enclave ", enclave.id(),
        " has no CPUs: give it some (ghostctl enclave cpus, or --cpus here)"));
  }
  // The machine's own (NUMA from libnuma), or a sysfs tree elsewhere.
  absl::StatusOr<Topology> topology = o.sysfs == "/sys"
                                          ? Topology::FromMachine()
                                          : Topology::FromSysfs(o.sysfs);
  if (!topology.ok()) {
    std::cerr << o.program << ": no topology (" << topology.status()
              << "); the centralized role moves to any CPU, and threads "
                 "go to any free CPU\n";
  }

  // Our queue becomes the default once it is ready: from then on, new
  // threads' messages come to us even while the old agent is leaving.
  absl::StatusOr<std::unique_ptr<Policy>> policy =
      ReadyPolicy(o.program.c_str(), **info, **kernel, *cpus,
                  topology.ok() ? &*topology : nullptr, o.slice);
  if (!policy.ok()) return policy.status();
  std::optional<absl::Time> takeover_start;
  if (!old->empty()) takeover_start = absl::Now();
  for (pid_t pid : *old) kill(pid, SIGUSR1);

  const absl::Time attach_start = absl::Now();
  absl::StatusOr<std::unique_ptr<AgentGroup>> group =
      AgentGroup::Start(**kernel, *cpus, **policy, o.attach_timeout,
                        [&stop] { stop.Request(StopReason::kDestroyed); });
  if (!group.ok()) return group.status();
  const std::string took_over =
      old->empty()
          ? ""
          : absl::StrFormat(
                ", took over from pid %d (start %.3f ms: waited %.3f ms for "
                "the old agent, discovery %.3f ms)",
                old->front(),
                absl::ToDoubleMilliseconds(absl::Now() - attach_start),
                absl::ToDoubleMilliseconds((*group)->longest_attach_wait()),
                absl::ToDoubleMilliseconds((*group)->all_attached_time()));

  std::unique_ptr<ControlServer> control;
  if (!o.control_dir.empty()) {
    absl::StatusOr<std::unique_ptr<ControlServer>> server =
        ControlServer::Start(
            ControlSocketPath(o.control_dir, enclave.id()),
            {.report =
                 [&] {
                   return MakeReport(o, enclave.id(), *cpus, start, **policy);
                 },
             .stop = [&stop] { stop.Request(StopReason::kControl); },
             .hints =
                 [&policy](Fd fd, pid_t pid) {
                   return (*policy)->AcceptHints(std::move(fd), pid);
                 }});
    if (server.ok()) {
      control = std::move(*server);
    } else {
      std::cerr << o.program << ": no control socket ("
                << server.status().message()
                << "); ghostctl agent will not reach this agent\n";
    }
  }
  // Until now an enclave without an agent waited (its watchdog counts).
  Say(o, absl::StrFormat(
             "ready: enclave %u, policy %s, CPUs %s, %d threads found%s; "
             "ready in %.0f ms (attach and discovery %.0f ms)",
             enclave.id(), o.policy, FormatCpuList(*cpus),
             (*policy)->stats().adopted.load(), took_over,
             absl::ToDoubleMilliseconds(absl::Now() - start),
             absl::ToDoubleMilliseconds(absl::Now() - attach_start)));

  const StopReason why = WaitForStop(stop, o, **policy, takeover_start);
  control.reset();  // ghostctl agent: nobody answers from here on
  Say(o, absl::StrCat("census: ", Census(**policy)));
  (*group)->Stop();
  // Gone under the agents (they said so), or just now, while they were
  // stopping: then there is nothing left to keep or destroy.
  if (std::optional<std::string> gone = DestroyedUnder(o, **group, **kernel)) {
    Say(o, absl::StrCat("enclave gone: ", Counters(**policy)));
    return absl::AbortedError(absl::StrCat(
        "enclave ", enclave.id(), " was destroyed by the kernel: ", *gone,
        "; its threads are back in CFS"));
  }
  const bool destroy =
      why != StopReason::kHandOver && on_exit == OnExit::kDestroy;
  Say(o, absl::StrFormat(
             "%s: %s; enclave %u %s",
             why == StopReason::kHandOver ? "handed over" : "stopped",
             Counters(**policy), enclave.id(), destroy ? "destroyed" : "kept"));
  if (destroy) return enclave.Destroy();
  return absl::OkStatus();
}

int RunAgentProgram(const AgentOptions& options,
                    const PolicyRegistry& registry) {
  if (absl::Status s = RunAgent(options, registry); !s.ok()) {
    std::cerr << options.program << ": " << s.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace ghost
