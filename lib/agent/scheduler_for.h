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
  // Every fresh task is a copy of `blank`.
  explicit SchedulerFor(KernelInterface& kernel, T blank = T())
      : Base(kernel, table_), table_(std::move(blank)) {}

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
  static T& Of(Task& t) { return static_cast<T&>(t); }

  void OnNew(Task& t, const ghost_msg& m, int c) final { TaskNew(Of(t), m, c); }
  void OnWakeup(Task& t, const ghost_msg& m, int c) final {
    TaskWakeup(Of(t), m, c);
  }
  void OnBlocked(Task& t, const ghost_msg& m, int c) final {
    TaskBlocked(Of(t), m, c);
  }
  void OnYield(Task& t, const ghost_msg& m, int c) final {
    TaskYield(Of(t), m, c);
  }
  void OnPreempted(Task& t, const ghost_msg& m, int c) final {
    TaskPreempted(Of(t), m, c);
  }
  void OnAffinityChanged(Task& t, const ghost_msg& m, int c) final {
    TaskAffinityChanged(Of(t), m, c);
  }
  void OnPriorityChanged(Task& t, const ghost_msg& m, int c) final {
    TaskPriorityChanged(Of(t), m, c);
  }
  void OnGone(Task& t, const ghost_msg* m, int c) final {
    TaskGone(Of(t), m, c);
  }
  void OnDiscovered(Task& t, TaskState before, int c) final {
    TaskDiscovered(Of(t), before, c);
  }

  TaskTable<T> table_;
};

}  // namespace ghost

#endif  // GHOST_LIB_AGENT_SCHEDULER_FOR_H_
