// PerCpuFifoScheduler: every enclave CPU's agent runs its own FIFO queue
// of threads on its own CPU, and an agent with nothing to run steals the
// oldest runnable thread from another CPU's queue.
//
// Routing: each CPU has a message queue that wakes its agent; the first
// CPU's queue is the enclave default, so new threads (and threads found at
// start-up) land there. A thread's messages go to the queue of the CPU
// that owns it; stealing re-associates the thread with the thief's queue,
// which the kernel allows only if the thief has seen every message of the
// thread (its barrier), so ownership never splits a message stream.
//
// A CPU runs one thread at a time until it blocks, yields or is preempted
// (FIFO, no time slices); a thread preempted by a higher class or by its
// agent goes back to the front. FIFO holds across CPUs too: an agent about
// to run its own oldest thread takes instead another CPU's head that has
// waited `steal_age` longer. Without that, a CPU held by a thread that
// never blocks strands the threads queued behind it while the other CPUs
// cycle through their own (the kernel's watchdog then ends the enclave). An
// agent blocks in the kernel when its CPU is busy or it found nothing to run,
// and is woken by its queue, by its thread leaving the CPU (run flags), or by a
// ping from a CPU that has more runnable threads than it can run.
//
//   PerCpuFifoScheduler sched(kernel, cpus);
//   sched.Init();                                  // queues
//   AgentGroup::Start(kernel, cpus, sched, ...);   // attach, discover, run
#ifndef GHOST_SCHEDULERS_FIFO_PERCPU_PERCPU_FIFO_SCHEDULER_H_
#define GHOST_SCHEDULERS_FIFO_PERCPU_PERCPU_FIFO_SCHEDULER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "lib/agent/agent_group.h"
#include "lib/agent/channel.h"
#include "lib/agent/kernel_interface.h"
#include "lib/agent/policy.h"
#include "lib/agent/run_queue.h"
#include "lib/agent/scheduler.h"
#include "lib/util/spin_lock.h"
#include "schedulers/fifo/common/commit_outcome.h"
#include "schedulers/fifo/common/fifo_task.h"

namespace ghost::fifo {

class PerCpuFifoScheduler final : public PolicyFor<FifoTask> {
 public:
  static constexpr uint32_t kQueueSize = 4096;

  struct Options {
    uint32_t queue_size = kQueueSize;
    // How much longer another CPU's head must have waited than ours for
    // us to run it first.
    absl::Duration steal_age = absl::Milliseconds(2);
    // CLOCK_MONOTONIC ns; tests pass a fake clock.
    std::function<int64_t()> clock;
  };

  PerCpuFifoScheduler(KernelInterface& kernel, std::vector<int> cpus,
                      Options options);
  PerCpuFifoScheduler(KernelInterface& kernel, std::vector<int> cpus)
      : PerCpuFifoScheduler(kernel, std::move(cpus), Options()) {}

  // The policy of `ghost_agent --policy=fifo_percpu`.
  static absl::StatusOr<std::unique_ptr<Policy>> Make(KernelInterface& kernel,
                                                      const PolicyArgs& args);

  // Policy: creates the queues (one per CPU, waking it; the first is the
  // default).
  absl::Status Init() override;

  // AgentLoop.
  void AgentAttached(int cpu, uint32_t sw_index) override;
  void AllAttached() override;
  void Round(int cpu) override;

  // Counters.
  uint64_t steals() const { return steals_.load(); }
  // Threads queued on `cpu` (approximate from other threads).
  int queued(int cpu) const { return CpuOf(cpu).nr_queued.load(); }
  const std::vector<int>& cpus() const { return cpu_ids_; }

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

 private:
  struct Cpu {
    int cpu = -1;
    Channel* channel = nullptr;
    uint32_t sw_index = 0;
    SpinLock lock;  // guards rq (thieves take it with TryLock)
    RunQueue<FifoTask> rq;
    std::atomic<int> nr_queued{0};
    // When the head of rq was queued (0: empty), for thieves to compare
    // without the lock; written under it.
    std::atomic<int64_t> head_since{0};
    FifoTask* current = nullptr;    // latched here; only this CPU's agent
    std::atomic<bool> idle{false};  // asleep with nothing to run
  };

  Cpu& CpuOf(int cpu) { return *cpus_[index_[cpu]]; }
  const Cpu& CpuOf(int cpu) const { return *cpus_[index_[cpu]]; }
  bool IsHome(const Cpu& c) const { return &c == cpus_.front().get(); }

  // `since`: when it started waiting (-1: now).
  void Enqueue(Cpu& c, FifoTask& t, bool front, int64_t since = -1);
  void Dequeue(Cpu& c, FifoTask& t);
  FifoTask* PopRunnable(Cpu& c);
  void PublishHead(Cpu& c);
  void LeaveCpu(Cpu& c, FifoTask& t);
  void Drain(Cpu& c);
  // A thread queued on another CPU before `queued_before` that may run on
  // `thief`, now owned by it; nullptr if none.
  FifoTask* Steal(Cpu& thief, int64_t queued_before);
  FifoTask* StealOlder(Cpu& thief, FifoTask& mine);
  void WakeHelper(const Cpu& busy);
  void Run(Cpu& c, FifoTask& t, uint32_t agent_barrier);

  std::vector<int> cpu_ids_;
  std::vector<int> index_;  // CPU number -> cpus_ index
  std::vector<std::unique_ptr<Cpu>> cpus_;
  const Options options_;
  std::atomic<uint64_t> steals_{0};
};

}  // namespace ghost::fifo

#endif  // GHOST_SCHEDULERS_FIFO_PERCPU_PERCPU_FIFO_SCHEDULER_H_
