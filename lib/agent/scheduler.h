// Scheduler: the base of every policy. It turns the kernel's messages into
// callbacks on tasks, keeping each task's sequence number and state
// machine (lib/agent/task.h) so a policy only decides.
//
// Dispatch() checks each message against what the agent knows: an old
// message (its number is not past the task's) is dropped; a gap (messages
// were lost) or an edge the state machine does not allow is counted and
// the message's state wins. A thread the agent never heard of (its NEW was
// lost, or it entered before this agent started) is adopted from its
// status word. Resync() re-reads every status word after a queue overflow;
// Discover() is the same for an agent that starts on a live enclave: it
// adopts every thread and associates it with the agent's queue at the
// barrier it read, so that no message after that point is missed.
//
// Scheduler knows tasks as Task; a policy derives from SchedulerFor<T>
// (lib/agent/scheduler_for.h), or PolicyFor<T> (lib/agent/policy.h),
// with T its own task type, and gets its callbacks with T. Each callback
// gets the task with its new state and sequence number already applied,
// the message that caused it, and the CPU of the agent thread that
// dispatched it. Callbacks for one task always come from the agent thread
// that owns its queue.
#ifndef GHOST_LIB_AGENT_SCHEDULER_H_
#define GHOST_LIB_AGENT_SCHEDULER_H_

#include <atomic>
#include <cstdint>

#include "lib/abi/status_word_region.h"
#include "lib/agent/channel.h"
#include "lib/agent/kernel_interface.h"
#include "lib/agent/task.h"
#include "lib/agent/task_table.h"
#include "lib/uapi/linux/ghost.h"

namespace ghost {

class Scheduler {
 public:
  // Counters, for logs and tests; updated relaxed from any agent thread.
  struct Stats {
    std::atomic<uint64_t> messages{0};
    std::atomic<uint64_t> stale{0};    // dropped: already known
    std::atomic<uint64_t> gaps{0};     // messages lost before this one
    std::atomic<uint64_t> illegal{0};  // state machine edges not allowed
    std::atomic<uint64_t> adopted{0};  // threads found in status words
    std::atomic<uint64_t> resyncs{0};
    std::atomic<uint64_t> bad{0};  // messages about no valid status word
  };

  // `tasks` is the policy's table (SchedulerFor owns it).
  Scheduler(KernelInterface& kernel, TaskSlots& tasks)
      : kernel_(kernel), tasks_(tasks) {}
  virtual ~Scheduler() = default;
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Applies one message, read by the agent of `agent_cpu`.
  void Dispatch(const ghost_msg& msg, int agent_cpu);

  // Brings the tasks owned by `agent_cpu` (all, if -1) up to date with
  // their status words. With `adopt_unknown`, words of threads not in the
  // table are adopted too (associated with `channel` unless null).
  void Resync(int agent_cpu, bool adopt_unknown, const Channel* channel);

  // Adopts every thread of the enclave that the table does not know, and
  // associates each with `channel`: what a new agent does first.
  void Discover(int agent_cpu, const Channel& channel) {
    Resync(agent_cpu, /*adopt_unknown=*/true, &channel);
  }

  // Whether the policy has `t` on a run queue (for the census; false for
  // a policy whose tasks have no RunQueueLinks).
  virtual bool Queued(const Task& t) const { return false; }

  const Stats& stats() const { return stats_; }
  TaskSlots& tasks() { return tasks_; }
  const TaskSlots& tasks() const { return tasks_; }
  KernelInterface& kernel() { return kernel_; }

 protected:
  // CPU messages (gtid 0; `msg.cpu` is the CPU): a tick, a higher class
  // took the CPU, or left it. Only kernels that send them call these.
  virtual void CpuTick(const ghost_msg& msg, int agent_cpu) {}
  virtual void CpuBusy(const ghost_msg& msg, int agent_cpu) {}
  virtual void CpuAvailable(const ghost_msg& msg, int agent_cpu) {}

 private:
  // The task callbacks as the framework makes them, with Task;
  // SchedulerFor<T> turns each into the policy's callback, with T.
  // A message about a live task (NEW .. PRIORITY_CHANGED), applied.
  virtual void OnTaskMessage(Task& t, const ghost_msg& msg, int agent_cpu) = 0;
  // It left: `msg` is its DEAD or DEPARTED, or null if its word said so.
  virtual void OnTaskGone(Task& t, const ghost_msg* msg, int agent_cpu) = 0;
  // Found or corrected from its status word.
  virtual void OnTaskDiscovered(Task& t, TaskState before, int agent_cpu) = 0;

  void DispatchCpuMessage(const ghost_msg& msg, int agent_cpu);
  // Takes `t` out of the table (after OnTaskGone) and frees its word.
  void Forget(Task& t, const ghost_msg* msg, int agent_cpu);
  // Adopts the thread of word `w`; nullptr if it is gone or not a thread.
  Task* Adopt(StatusWord w, int agent_cpu, const Channel* channel);
  // Brings one known task up to date with its word.
  void ResyncTask(Task& t, int agent_cpu);

  KernelInterface& kernel_;
  TaskSlots& tasks_;
  Stats stats_;
};

}  // namespace ghost

#endif  // GHOST_LIB_AGENT_SCHEDULER_H_
