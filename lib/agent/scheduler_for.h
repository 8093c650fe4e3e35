// SchedulerFor<T>: a Scheduler whose tasks are the policy's own type T
// (derived from Task: the policy declares its per-thread state there). It
// owns the task table and calls the policy's callbacks with T.
//
//   struct MyTask : Task, RunQueueLinks<MyTask> { int64_t queued_ns = 0; };
//   class MyPolicy : public PolicyFor<MyTask> {   // lib/agent/policy.h
//     void TaskWakeup(MyTask& t, const ghost_msg& msg, int cpu) override;
//     ...
//   };
//
// `Base` is Scheduler, or a class derived from it with the same
// constructor (Policy).
#ifndef GHOST_LIB_AGENT_SCHEDULER_FOR_H_
#define GHOST_LIB_AGENT_SCHEDULER_FOR_H_

#include <utility>

#include "lib/agent/kernel_interface.h"
#include "lib/agent/scheduler.h"
#include "lib/agent/task.h"
#include "lib/agent/task_table.h"
#include "lib/uapi/linux/ghost.h"

namespace ghost {

template <typename T, typename Base = Scheduler>
class SchedulerFor : public Base {
 public:
  // Every fresh task is a copy of `blank`; `base_args` go to Base after
  // the kernel and the table (Policy: the enclave's CPUs).
  template <typename... BaseArgs>
  SchedulerFor(KernelInterface& kernel, T blank, BaseArgs&&... base_args)
      : Base(kernel, table_, std::forward<BaseArgs>(base_args)...),
        table_(std::move(blank)) {}
  explicit SchedulerFor(KernelInterface& kernel) : SchedulerFor(kernel, T()) {}

  TaskTable<T>& tasks() { return table_; }
  const TaskTable<T>& tasks() const { return table_; }

  bool Queued(const Task& t) const override {
    if constexpr (requires(const T& x) { x.queued(); }) {
      return static_cast<const T&>(t).queued();
    } else {
      return false;
    }
  }

 protected:
  // The thread entered or was born (t.state says blocked/runnable/running).
  virtual void TaskNew(T& t, const ghost_msg& msg, int agent_cpu) = 0;
  virtual void TaskWakeup(T& t, const ghost_msg& msg, int agent_cpu) = 0;
  virtual void TaskBlocked(T& t, const ghost_msg& msg, int agent_cpu) = 0;
  virtual void TaskYield(T& t, const ghost_msg& msg, int agent_cpu) = 0;
  virtual void TaskPreempted(T& t, const ghost_msg& msg, int agent_cpu) = 0;
  // DEAD or DEPARTED (t.state says which; `msg` is that message, or null
  // when its status word said it left and the message was lost). The task
  // leaves the table when this returns, so it must be on no run queue and
  // no CPU by then.
  virtual void TaskGone(T& t, const ghost_msg* msg, int agent_cpu) = 0;
  // Found or corrected from its status word; `before` is the state the
  // agent believed (kNew for a thread it did not know).
  virtual void TaskDiscovered(T& t, TaskState before, int agent_cpu) = 0;
  virtual void TaskAffinityChanged(T& t, const ghost_msg& msg, int agent_cpu) {}
  virtual void TaskPriorityChanged(T& t, const ghost_msg& msg, int agent_cpu) {}

 private:
  void OnTaskMessage(Task& task, const ghost_msg& msg, int cpu) final {
    T& t = static_cast<T&>(task);
    switch (msg.type) {
      case GHOST_MSG_NEW:
        return TaskNew(t, msg, cpu);
      case GHOST_MSG_WAKEUP:
        return TaskWakeup(t, msg, cpu);
      case GHOST_MSG_BLOCKED:
        return TaskBlocked(t, msg, cpu);
      case GHOST_MSG_YIELD:
        return TaskYield(t, msg, cpu);
      case GHOST_MSG_PREEMPTED:
        return TaskPreempted(t, msg, cpu);
      case GHOST_MSG_AFFINITY_CHANGED:
        return TaskAffinityChanged(t, msg, cpu);
      case GHOST_MSG_PRIORITY_CHANGED:
        return TaskPriorityChanged(t, msg, cpu);
    }
  }
  void OnTaskGone(Task& t, const ghost_msg* msg, int cpu) final {
    TaskGone(static_cast<T&>(t), msg, cpu);
  }
  void OnTaskDiscovered(Task& t, TaskState before, int cpu) final {
    TaskDiscovered(static_cast<T&>(t), before, cpu);
  }

  TaskTable<T> table_;
};

}  // namespace ghost

#endif  // GHOST_LIB_AGENT_SCHEDULER_FOR_H_
