// CentralizedFifoScheduler: one global agent, on one enclave CPU, keeps a
// single FIFO of runnable threads and places them on every other enclave
// CPU, committing all of a round's decisions in one GHOST_OP_COMMIT
// (schedulers/common/centralized_policy.h: the global role and its
// hand-off, the batched commit, time slices, lending the global CPU).
//
// A thread that has run for its `slice` while others wait is preempted
// (latching the next one takes its CPU; its PREEMPTED sends it to the
// back). When every other CPU is busy and threads still wait, the global
// agent lends its own CPU to the head of the queue, so all the enclave's
// CPUs run threads when there are enough of them.
//
// Each thread, oldest first, goes to the free CPU nearest the one it last
// ran on: the same NUMA node if one is free there (idle_cpu_choice.h).
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
#include "schedulers/fifo/common/time_slice.h"

namespace ghost::fifo {

class CentralizedFifoScheduler final : public CentralizedPolicy<FifoTask> {
 public:
  struct Options {
    // How long a thread runs while others wait (zero: until it blocks).
    absl::Duration slice = kDefaultSlice;
    absl::Duration idle_spin = absl::Microseconds(200);
    // How long the head of the queue must have waited with every other CPU
    // busy before the global agent lends it its own CPU. Zero (at once)
    // measured best: a yield loop lent the CPU ran 4x faster than with a
    // millisecond's delay, and no churn workload was slower.
    absl::Duration lend_delay = absl::ZeroDuration();
    // For moving the role and placing threads near their last CPU.
    const Topology* topology = nullptr;
    uint32_t queue_size = 4096;
    // CLOCK_MONOTONIC ns; tests pass a fake clock.
    std::function<int64_t()> clock;
  };

  CentralizedFifoScheduler(KernelInterface& kernel, std::vector<int> cpus,
                           Options options);

  // The policy of `ghost_agent --policy=fifo_centralized`: `args.slice`
  // (if set) and `args.topology` become its options.
  static absl::StatusOr<std::unique_ptr<Policy>> Make(KernelInterface& kernel,
                                                      const PolicyArgs& args);

  size_t queued() const { return rq_.size(); }

 protected:
  // CentralizedPolicy (which handles the threads' messages through
  // Enqueue() and Dequeue()).
  void Decide(int64_t now) override;
  void Enqueue(FifoTask& t, bool front) override;
  void Dequeue(FifoTask& t) override { rq_.Remove(&t); }
  const FifoTask* Head() const override {
    return rq_.empty() ? nullptr : rq_.front();
  }
  FifoTask* PopFor(int cpu) override {
    return rq_.PopFirst([cpu](FifoTask* t) { return t->AllowedOn(cpu); });
  }

 private:
  RunQueue<FifoTask> rq_;
  std::vector<int> free_;  // CPUs a round can fill (sized once)
};

}  // namespace ghost::fifo

#endif  // GHOST_SCHEDULERS_FIFO_CENTRALIZED_CENTRALIZED_FIFO_SCHEDULER_H_
