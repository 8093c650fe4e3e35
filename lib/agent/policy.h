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
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "lib/abi/fd.h"
#include "lib/abi/status_word_region.h"
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
  // `cpus`: the enclave's CPUs, one agent each.
  Policy(KernelInterface& kernel, TaskSlots& tasks, absl::Span<const int> cpus);

  // Creates the policy's queues (one of them the enclave's default), once,
  // before any agent attaches.
  virtual absl::Status Init() = 0;

  // AgentLoop: remembers the agent's status word (AgentWord()).
  void AgentAttached(int cpu, uint32_t sw_index) final;

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
  // The status word of the agent of `cpu`. Its barrier is what the agent
  // blocks and commits with: read it before draining the queue, so that
  // an event after that makes the block return at once.
  StatusWord AgentWord(int cpu) {
    return kernel().words().Read(agent_word_[cpu]);
  }
  uint32_t AgentBarrier(int cpu) { return AgentWord(cpu).barrier; }

  TxnCounters txns_;

 private:
  // By CPU number; each agent thread writes its own at attach, before any
  // round.
  std::vector<uint32_t> agent_word_;
};

// A policy whose tasks are T (derived from Task): it owns their table and
// gets its callbacks with T (lib/agent/scheduler_for.h).
template <typename T>
using PolicyFor = SchedulerFor<T, Policy>;

// What a policy is made with.
struct PolicyArgs {
  std::vector<int> cpus;  // the enclave's CPUs, ascending; one agent each
  const Topology* topology = nullptr;           // nullptr: sysfs did not say
  // How long a thread may run while others wait: nullopt, the policy's
  // default; zero, until it blocks or yields.
  std::optional<absl::Duration> slice;
};

// Makes a policy for the enclave `kernel` reaches; an error says why the
// arguments do not suit it (e.g. too many CPUs for a one-CPU policy).
using PolicyFactory = absl::StatusOr<std::unique_ptr<Policy>> (*)(
    KernelInterface& kernel, const PolicyArgs& args);

}  // namespace ghost

#endif  // GHOST_LIB_AGENT_POLICY_H_
