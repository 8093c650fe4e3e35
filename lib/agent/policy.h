// Policy: one scheduling policy as the agent runtime (lib/runtime) runs it.
// It is a Scheduler (the kernel's messages become callbacks on its tasks)
// and the AgentLoop of its agent threads, creates its queues in Init(),
// and counts its commit results. A policy folder under schedulers/ defines
// its task type, one class deriving from PolicyFor<its task type> and one
// PolicyFactory that makes it; schedulers/policies.cc names it for
// `ghost_agent --policy=NAME`.
//
//   struct MyTask : Task, RunQueueLinks<MyTask> { ... };
//   class MyPolicy : public PolicyFor<MyTask> { ... };
//   absl::StatusOr<std::unique_ptr<Policy>> MakeMyPolicy(
//       KernelInterface& kernel, const PolicyArgs& args) {
//     return std::make_unique<MyPolicy>(kernel, args.cpus);
//   }
#ifndef GHOST_LIB_AGENT_POLICY_H_
#define GHOST_LIB_AGENT_POLICY_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/abi/fd.h"
#include "lib/agent/agent_group.h"
#include "lib/agent/kernel_interface.h"
#include "lib/agent/scheduler.h"
#include "lib/agent/scheduler_for.h"
#include "lib/agent/task_table.h"
#include "lib/agent/txn_counters.h"
#include "lib/util/topology.h"

namespace ghost {

class Policy : public Scheduler, public AgentLoop {
 public:
  Policy(KernelInterface& kernel, TaskSlots& tasks)
      : Scheduler(kernel, tasks) {}

  // Creates the policy's queues (one of them the enclave's default), once,
  // before any agent attaches.
  virtual absl::Status Init() = 0;

  // Commit results so far.
  const TxnCounters& txns() const { return txns_; }

  // Takes an application's hint region (lib/hints, docs/abi.md "Hint
  // regions") from process `pid`. Called from the control thread, never
  // an agent thread. A policy that reads no hints refuses.
  virtual absl::Status AcceptHints(Fd fd, pid_t pid) {
    return absl::UnimplementedError("this policy reads no hint regions");
  }

  // The policy's own counters, by name, for `ghostctl agent status`.
  using Counters = std::vector<std::pair<std::string, uint64_t>>;
  virtual void AddCounters(Counters& out) const {}

 protected:
  TxnCounters txns_;
};

// A policy whose tasks are T (derived from Task): it owns their table and
// gets its callbacks with T (lib/agent/scheduler_for.h).
template <typename T>
using PolicyFor = SchedulerFor<T, Policy>;

// What a policy is made with.
struct PolicyArgs {
  std::vector<int> cpus;  // the enclave's CPUs, ascending; one agent each
  const Topology* topology = nullptr;           // nullptr: sysfs did not say
  absl::Duration slice = absl::ZeroDuration();  // zero: run until it blocks
};

// Makes a policy for the enclave `kernel` reaches; an error says why the
// arguments do not suit it (e.g. too many CPUs for a one-CPU policy).
using PolicyFactory = absl::StatusOr<std::unique_ptr<Policy>> (*)(
    KernelInterface& kernel, const PolicyArgs& args);

}  // namespace ghost

#endif  // GHOST_LIB_AGENT_POLICY_H_
