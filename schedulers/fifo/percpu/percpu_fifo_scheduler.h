// PerCpuFifoScheduler: every enclave CPU's agent runs its own FIFO queue
// of threads on its own CPU, and an agent with nothing to run steals from
// another CPU's queue.
//
// Routing: each CPU has a message queue that wakes its agent; the first
// CPU's queue is the enclave default, so new threads (and threads found at
// start-up) are heard of there. A thread's messages go to the queue of the
// CPU that owns it; moving a thread to another CPU's queue re-associates
// it, which the kernel allows only if the mover has seen every message of
// the thread (its barrier), so ownership never splits a message stream.
//
// Placement: a thread that becomes runnable (new, or woken) waits on the
// CPU that heard of it, or a forked child on its parent's CPU, as long as
// nothing else waits there: a thread woken by the one running there (a
// pipe, a futex hand-off, a parent waiting for its child) then runs right
// there when its waker blocks, with no cross-CPU wakeup. If threads
// already wait there, it goes to an idle CPU (whose agent is pinged) or
// to one with at least two fewer threads, the fewest first, so a burst of
// new or woken threads (a creator starting 600 workers) spreads over the
// CPUs at once instead of waiting for stealing to move them one at a time,
// while a thread beside equally busy CPUs stays (a move costs a system
// call and a wakeup of the target's agent, and would not run it sooner).
//
// A CPU runs one thread at a time until it blocks, yields, or has run for
// its `slice` while other threads wait (time_slice.h): then it goes to the
// back and the next one runs. A thread that lost the CPU for a moment (its
// agent woke up there, a higher class ran) resumes its turn first. FIFO
// holds across CPUs too: an agent about to start a new turn of its own
// oldest thread takes instead another CPU's head that has waited
// `steal_age` longer (without that, a CPU held by a thread that never
// blocks strands the threads queued behind it). An agent with nothing to
// run takes the oldest thread of the CPU with the longest queue, at once.
//
// Slices are timed by the kernel's ticks (CPU_TICK, deliver_ticks): every
// CPU's messages go to a queue of their own that wakes nobody, and only
// while threads wait for a CPU anywhere in the enclave do a busy CPU's
// ticks go to the queue that wakes its agent (ticks_wake). A CPU-bound
// thread that nobody waits for is never interrupted; one that others wait
// for loses its CPU within a tick of its slice's end. An agent blocks in
// the kernel when its CPU is busy or it found nothing to run, and is woken
// by its queue, by its thread leaving the CPU (run flags), by a tick while
// threads wait, or by a ping from a CPU that has more runnable threads
// than it can run.
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
#include "lib/util/cpu_set.h"
#include "lib/util/spin_lock.h"
#include "schedulers/fifo/common/commit_outcome.h"
#include "schedulers/fifo/common/fifo_task.h"
#include "schedulers/fifo/common/time_slice.h"

namespace ghost::fifo {

class PerCpuFifoScheduler final : public PolicyFor<FifoTask> {
 public:
  static constexpr uint32_t kQueueSize = 4096;

  struct Options {
    uint32_t queue_size = kQueueSize;
    // How much longer another CPU's head must have waited than ours for
    // us to run it first.
    absl::Duration steal_age = absl::Milliseconds(2);
    // How long a thread runs while others wait (zero: until it blocks).
    absl::Duration slice = kDefaultSlice;
    // How long the head of a busy CPU's queue waits for that CPU before
    // an idle CPU is woken to take it (with slices; without, at once).
    absl::Duration help_delay = absl::Milliseconds(1);
    // CLOCK_MONOTONIC ns; tests pass a fake clock.
    std::function<int64_t()> clock;
  };

  PerCpuFifoScheduler(KernelInterface& kernel, std::vector<int> cpus,
                      Options options);
  PerCpuFifoScheduler(KernelInterface& kernel, std::vector<int> cpus)
      : PerCpuFifoScheduler(kernel, std::move(cpus), Options()) {}

  // The policy of `ghost_agent --policy=fifo_percpu`: `args.slice`, if
  // set, replaces the default slice.
  static absl::StatusOr<std::unique_ptr<Policy>> Make(KernelInterface& kernel,
                                                      const PolicyArgs& args);

  // Policy: creates the queues (per CPU: one for its threads, waking it,
  // the first of them the default; one for its CPU messages) and asks the
  // kernel for ticks if threads are sliced.
  absl::Status Init() override;

  // Policy: steals, placements elsewhere and ended slices, for
  // `ghostctl agent status`.
  void AddCounters(Counters& out) const override;

  // AgentLoop.
  void AllAttached() override;
  void Round(int cpu) override;

  // Counters.
  uint64_t steals() const { return steals_.load(); }
  // Threads queued on `cpu` (approximate from other threads).
  int queued(int cpu) const { return CpuOf(cpu).nr_queued.load(); }
  // Runnable threads sent to another CPU's queue when they arrived.
  uint64_t placed_elsewhere() const { return placed_elsewhere_.load(); }
  // Whether the ticks of `cpu` wake its agent now.
  bool ticks_wake(int cpu) const { return CpuOf(cpu).ticks_wake.load(); }
  // Threads sent to the back because their slice was over.
  uint64_t slices_ended() const { return slices_ended_.load(); }
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
    Channel* channel = nullptr;      // its threads' messages; wakes it
    Channel* cpu_channel = nullptr;  // its CPU messages; wakes nobody
    SpinLock lock;  // guards rq (thieves take it with TryLock)
    RunQueue<FifoTask> rq;
    std::atomic<int> nr_queued{0};
    // When the head of rq was queued (0: empty), for thieves to compare
    // without the lock; written under it.
    std::atomic<int64_t> head_since{0};
    FifoTask* current = nullptr;    // latched here; only this CPU's agent
    // Whether `current` is set, for other agents' estimate of its load.
    std::atomic<bool> busy{false};
    std::atomic<bool> idle{false};  // asleep with nothing to run
    // Threads other agents put on rq (MoveTo). An agent about to sleep
    // idle compares it with its value at the start of its round: a thread
    // handed over after it looked at rq, whose giver found it not idle
    // yet and so did not ping it, is seen there instead.
    std::atomic<uint32_t> handed_over{0};
    // The CPUs that refused the head of rq, copied under the lock for
    // WakeHelper (its agent only; sized once, so copying never allocates).
    CpuSet head_refused;
    // Its CPU messages go to `channel` (ticks wake the agent), not to
    // `cpu_channel`. Set by anyone (exchange first), cleared by its agent.
    std::atomic<bool> ticks_wake{false};
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
  // Queues the runnable `t`, which `here` owns, on `here` or on a CPU that
  // has fewer threads (placement, above); `parent` is the CPU of a forked
  // child's parent, or -1. With here.lock held.
  void Place(Cpu& here, FifoTask& t, int parent);
  // Threads on `c`: queued, and the one it runs.
  int Load(const Cpu& c) const;
  // A thread moves to a busy CPU only if that has this many fewer threads
  // than where it would wait (a move's cost, at Lighter).
  static constexpr int kMoveMargin = 2;
  // The allowed CPU with the fewest threads among those idle or with
  // kMoveMargin fewer than `than` (an idle one on a tie), else nullptr.
  Cpu* Lighter(const FifoTask& t, const Cpu& than);
  // Hands `t` from `here` (whose lock is held) to `there`'s queue; false
  // if `there` is busy being locked or the kernel refuses (news about it
  // is on its way to `here`).
  bool MoveTo(Cpu& here, Cpu& there, FifoTask& t);
  void Drain(Cpu& c);
  // A thread queued on another CPU before `queued_before` that may run on
  // `thief`, now owned by it; nullptr if none.
  FifoTask* Steal(Cpu& thief, int64_t queued_before);
  FifoTask* StealFrom(Cpu& thief, Cpu& victim, int64_t queued_before);
  FifoTask* StealOlder(Cpu& thief, FifoTask& mine);
  void WakeHelper(Cpu& busy, const CpuSet& head_refused);
  void Run(Cpu& c, FifoTask& t, uint32_t agent_barrier);
  // Time slices (percpu_slicing.cc).
  FifoTask* NextForCpu(Cpu& c, int64_t now, bool& steal_now);
  bool AnyoneWaits() const;
  bool HelpNow(const Cpu& c, const FifoTask* next, int64_t head_waited) const;
  void TicksWake(Cpu& c);
  void RouteTicks(Cpu& c, bool busy);
  void DrainCpuMessages(Cpu& c);

  std::vector<int> cpu_ids_;
  std::vector<int> index_;  // CPU number -> cpus_ index
  std::vector<std::unique_ptr<Cpu>> cpus_;
  const Options options_;
  TimeSlice slices_;
  std::atomic<uint64_t> steals_{0};
  std::atomic<uint64_t> slices_ended_{0};
  std::atomic<uint64_t> placed_elsewhere_{0};
};

}  // namespace ghost::fifo

#endif  // GHOST_SCHEDULERS_FIFO_PERCPU_PERCPU_FIFO_SCHEDULER_H_
