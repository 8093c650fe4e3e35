// CentralizedFifoScheduler: one global agent keeps a single FIFO of
// runnable threads and places them on every other enclave CPU, all of a
// round's decisions in one commit (schedulers/common/centralized_policy.h:
// the global role, its hand-off, the batched commit).
//
// With a `slice`, a thread that has run that long while others wait is
// preempted (latching the next one takes its CPU; it goes to the back).
//
//   CentralizedFifoScheduler sched(kernel, cpus, {.topology = &topo});
//   sched.Init();
//   AgentGroup::Start(kernel, cpus, sched, ...);
#ifndef GHOST_SCHEDULERS_FIFO_CENTRALIZED_CENTRALIZED_FIFO_SCHEDULER_H_
#define GHOST_SCHEDULERS_FIFO_CENTRALIZED_CENTRALIZED_FIFO_SCHEDULER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/agent/kernel_interface.h"
#include "lib/agent/policy.h"
#include "lib/agent/run_queue.h"
#include "lib/util/topology.h"
#include "schedulers/common/centralized_policy.h"
#include "schedulers/fifo/common/fifo_task.h"

namespace ghost::fifo {

class CentralizedFifoScheduler final : public CentralizedPolicy<FifoTask> {
 public:
  struct Options {
    absl::Duration slice = absl::ZeroDuration();  // zero: run to block
    absl::Duration idle_spin = absl::Microseconds(200);
    const Topology* topology = nullptr;  // for moving the role
    uint32_t queue_size = 4096;
    // CLOCK_MONOTONIC ns; tests pass a fake clock.
    std::function<int64_t()> clock;
  };

  CentralizedFifoScheduler(KernelInterface& kernel, std::vector<int> cpus,
                           Options options);

  // The policy of `ghost_agent --policy=fifo_centralized`: `args.slice`
  // and `args.topology` become its options.
  static absl::StatusOr<std::unique_ptr<Policy>> Make(KernelInterface& kernel,
                                                      const PolicyArgs& args);

  size_t queued() const { return rq_.size(); }

 protected:
  void TaskNew(FifoTask& t, const ghost_msg& msg, int agent_cpu) override;
  void TaskWakeup(FifoTask& t, const ghost_msg& msg, int agent_cpu) override;
  void TaskBlocked(FifoTask& t, const ghost_msg& msg, int agent_cpu) override;
  void TaskYield(FifoTask& t, const ghost_msg& msg, int agent_cpu) override;
  void TaskPreempted(FifoTask& t, const ghost_msg& msg, int agent_cpu) override;
  void TaskGone(FifoTask& t, const ghost_msg* msg, int agent_cpu) override;
  void TaskDiscovered(FifoTask& t, TaskState before, int agent_cpu) override;
  void TaskAffinityChanged(FifoTask& t, const ghost_msg& msg,
                           int agent_cpu) override;

  // CentralizedPolicy.
  void Decide(int64_t now) override;
  void Requeue(FifoTask& t, bool front) override { Enqueue(t, front); }
  // With a slice and threads waiting, only the clock says when to act.
  bool MaySleep() const override {
    return slice_ <= absl::ZeroDuration() || rq_.empty();
  }

 private:
  void Enqueue(FifoTask& t, bool front);

  const absl::Duration slice_;
  RunQueue<FifoTask> rq_;
};

}  // namespace ghost::fifo

#endif  // GHOST_SCHEDULERS_FIFO_CENTRALIZED_CENTRALIZED_FIFO_SCHEDULER_H_
