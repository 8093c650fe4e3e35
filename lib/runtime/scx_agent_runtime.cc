#include "lib/runtime/scx_agent_runtime.h"

#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "lib/agent/agent_group.h"
#include "lib/runtime/agent_process_setup.h"
#include "lib/runtime/census.h"
#include "lib/runtime/policy_setup.h"
#include "lib/runtime/stop_request.h"
#include "lib/scx/scx_kernel.h"
#include "lib/util/cpu_list.h"
#include "lib/util/topology.h"

namespace ghost {
namespace {

// Lives as long as the process: the signal thread holds it.
StopRequest& ScxStopRequest() {
  static StopRequest* const stop = new StopRequest();
  return *stop;
}

void Say(const AgentOptions& o, const std::string& line) {
  std::printf("%s: %s\n", o.program.c_str(), line.c_str());
  std::fflush(stdout);
}

// --cpus, or every online CPU.
absl::StatusOr<std::vector<int>> ScxCpus(const AgentOptions& o,
                                         const Topology* topology) {
  if (!o.enclave.cpus.empty()) return ParseCpuList(o.enclave.cpus);
  if (topology != nullptr) return topology->cpus();
  return absl::FailedPreconditionError(
      "no --cpus and no topology to find the online CPUs: give --cpus");
}

std::string Counters(const Policy& policy) {
  return absl::StrFormat("%d commits completed, %d failed, %d messages",
                         policy.txns().completed(), policy.txns().failed(),
                         policy.stats().messages.load());
}

}  // namespace

absl::Status RunScxAgent(const AgentOptions& o,
                         const PolicyRegistry& registry) {
  const absl::Time start = absl::Now();
  absl::StatusOr<const PolicyInfo*> info = registry.Find(o.policy);
  if (!info.ok()) return info.status();
  if (o.enclave.id >= 0) {
    return absl::InvalidArgumentError(
        "--enclave: sched_ext has no enclaves (one scheduler for the "
        "machine); name the CPUs with --cpus");
  }
  StopRequest& stop = ScxStopRequest();
  ForwardStopSignals(stop);

  absl::StatusOr<Topology> topology = o.sysfs == "/sys"
                                          ? Topology::FromMachine()
                                          : Topology::FromSysfs(o.sysfs);
  absl::StatusOr<std::vector<int>> cpus =
      ScxCpus(o, topology.ok() ? &*topology : nullptr);
  if (!cpus.ok()) return cpus.status();
  absl::StatusOr<std::unique_ptr<scx::ScxKernel>> kernel =
      scx::ScxKernel::Load(*cpus, o.sysfs);
  if (!kernel.ok()) return kernel.status();

  absl::StatusOr<std::unique_ptr<Policy>> policy =
      ReadyPolicy(o.program.c_str(), **info, **kernel, *cpus,
                  topology.ok() ? &*topology : nullptr, o.slice);
  if (!policy.ok()) return policy.status();
  const absl::Time attach_start = absl::Now();
  absl::StatusOr<std::unique_ptr<AgentGroup>> group =
      AgentGroup::Start(**kernel, *cpus, **policy, o.attach_timeout,
                        [&stop] { stop.Request(StopReason::kDestroyed); });
  if (!group.ok()) return group.status();
  Say(o, absl::StrFormat(
             "ready: sched_ext, policy %s, CPUs %s, %d threads found; "
             "ready in %.0f ms (attach and discovery %.0f ms)",
             o.policy, FormatCpuList(*cpus),
             (*policy)->stats().adopted.load(),
             absl::ToDoubleMilliseconds(absl::Now() - start),
             absl::ToDoubleMilliseconds(absl::Now() - attach_start)));

  const StopReason why = stop.Wait();
  Say(o, absl::StrCat("census: ", Census(**policy)));
  const ghost_scx_stats& st = (*kernel)->stats();
  Say(o, absl::StrFormat(
             "scheduler: %d latches dispatched, %d runs where a thread was "
             "pinned (migrate_disable), %d latches dropped (affinity), %d "
             "threads without a word (run by the kernel), %d messages with "
             "no channel",
             st.dispatched, st.pinned_fallback, st.not_allowed, st.untracked,
             st.no_queue));
  (*group)->Stop();
  if ((*kernel)->Exited()) {
    Say(o, absl::StrCat("scheduler gone: ", Counters(**policy)));
    return absl::AbortedError(absl::StrCat(
        "the kernel stopped the sched_ext scheduler: ",
        (*kernel)->ExitReason(),
        "; every SCHED_EXT thread is back in the fair class (start an "
        "agent again to schedule them)"));
  }
  Say(o, absl::StrFormat(
             "stopped (%s): %s; sched_ext scheduler detached, SCHED_EXT "
             "threads run in the fair class until an agent attaches",
             StopReasonName(why), Counters(**policy)));
  return absl::OkStatus();
}

}  // namespace ghost
