// CentralizedFifoScheduler: one global agent, on one enclave CPU, keeps a
// single FIFO of runnable threads and places them on every other enclave
// CPU, committing all of a round's decisions in one GHOST_OP_COMMIT (one
// round of IPIs however many CPUs it fills).
//
// The global agent spins while there is work and blocks in the kernel
// after `idle_spin` without any (the queue wakes it). The other CPUs have
// agents too, asleep: when a higher class wants the global agent's CPU
// (ABI 2: GHOST_SW_F_CPU_WANTED or CPU_BUSY) the role moves to the nearest
// of them — an SMT sibling, else a CPU on the same L3, else on the same
// node — and the old CPU becomes one the agent schedules.
//
// With a `slice`, a thread that has run that long while others wait is
// preempted (latching the next one takes its CPU; it goes to the back).
//
//   CentralizedFifoScheduler sched(kernel, cpus, {.topology = &topo});
//   sched.Init();
//   AgentGroup::Start(kernel, cpus, sched, ...);
#ifndef GHOST_SCHEDULERS_FIFO_CENTRALIZED_CENTRALIZED_FIFO_SCHEDULER_H_
#define GHOST_SCHEDULERS_FIFO_CENTRALIZED_CENTRALIZED_FIFO_SCHEDULER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "lib/agent/agent_group.h"
#include "lib/agent/channel.h"
#include "lib/agent/kernel_interface.h"
#include "lib/agent/policy.h"
#include "lib/agent/run_queue.h"
#include "lib/agent/scheduler.h"
#include "lib/agent/txn.h"
#include "lib/util/topology.h"
#include "schedulers/fifo/common/commit_outcome.h"
#include "schedulers/fifo/common/fifo_task.h"

namespace ghost::fifo {

class CentralizedFifoScheduler final : public PolicyFor<FifoTask> {
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

  // Policy: creates the enclave's default queue, waking the global CPU.
  absl::Status Init() override;

  // AgentLoop.
  void AgentAttached(int cpu, uint32_t sw_index) override;
  void AllAttached() override;
  void Round(int cpu) override;

  // Moves the global role to the CPU nearest the current one, and wakes
  // its agent. Returns the new global CPU (-1 if there is no other).
  int HandOffGlobalRole();

  int global_cpu() const { return global_.load(std::memory_order_acquire); }
  size_t queued() const { return rq_.size(); }
  // The thread latched on `cpu` as the agent knows it (0: none).
  uint64_t current_on(int cpu) const;

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
  void CpuBusy(const ghost_msg& msg, int agent_cpu) override;
  void CpuAvailable(const ghost_msg& msg, int agent_cpu) override;

 private:
  struct Cpu {
    int cpu = -1;
    uint32_t sw_index = 0;
    FifoTask* current = nullptr;
    bool available = true;           // false while a higher class holds it
    FifoTask* sliced_out = nullptr;  // displaced for its slice, PREEMPTED due
  };

  Cpu* CpuOf(int cpu) {
    return cpu >= 0 && cpu < static_cast<int>(index_.size()) && index_[cpu] >= 0
               ? &cpus_[index_[cpu]]
               : nullptr;
  }
  void Enqueue(FifoTask& t, bool front);
  void LeaveCpus(FifoTask& t);
  void GlobalRound(Cpu& self);
  bool Schedule(int64_t now);
  bool CpuWanted(const Cpu& self);

  std::vector<Cpu> cpus_;
  std::vector<int> index_;
  Options options_;
  Channel* channel_ = nullptr;
  RunQueue<FifoTask> rq_;
  TxnBatch batch_;
  std::vector<FifoTask*> pending_;  // by batch position
  std::atomic<int> global_;
  int64_t last_work_ns_ = 0;
};

}  // namespace ghost::fifo

#endif  // GHOST_SCHEDULERS_FIFO_CENTRALIZED_CENTRALIZED_FIFO_SCHEDULER_H_
