#include "lib/agent/task.h"

namespace ghost {

const char* TaskStateName(TaskState s) {
  switch (s) {
    case TaskState::kNew:
      return "new";
    case TaskState::kBlocked:
      return "blocked";
    case TaskState::kRunnable:
      return "runnable";
    case TaskState::kRunning:
      return "running";
    case TaskState::kDead:
      return "dead";
    case TaskState::kDeparted:
      return "departed";
  }
  return "?";
}

Transition NextState(TaskState from, uint16_t type, uint16_t flags) {
  const bool live = from != TaskState::kDead && from != TaskState::kDeparted;
  switch (type) {
    case GHOST_MSG_NEW: {
      TaskState to = TaskState::kBlocked;
      if (flags & GHOST_MSG_F_ON_CPU) {
        to = TaskState::kRunning;
      } else if (flags & GHOST_MSG_F_RUNNABLE) {
        to = TaskState::kRunnable;
      }
      return {to, from == TaskState::kNew};
    }
    case GHOST_MSG_WAKEUP:
      return {TaskState::kRunnable, from == TaskState::kBlocked};
    case GHOST_MSG_BLOCKED:
      return {TaskState::kBlocked, from == TaskState::kRunning};
    case GHOST_MSG_YIELD:
    case GHOST_MSG_PREEMPTED:
      // Produced at the switch: it was on a CPU. An agent that never
      // latched it (it entered running, K2) knows it as running already.
      return {TaskState::kRunnable, from == TaskState::kRunning};
    case GHOST_MSG_AFFINITY_CHANGED:
    case GHOST_MSG_PRIORITY_CHANGED:
      return {from, live && from != TaskState::kNew};
    case GHOST_MSG_DEAD:
      return {TaskState::kDead, live && from != TaskState::kNew};
    case GHOST_MSG_DEPARTED:
      return {TaskState::kDeparted, live && from != TaskState::kNew};
    default:
      return {from, false};
  }
}

TaskState StateFromStatusWordFlags(uint32_t flags) {
  if (flags & GHOST_SW_F_CANFREE) return TaskState::kDead;
  if (flags & GHOST_SW_F_ONCPU) return TaskState::kRunning;
  if (flags & GHOST_SW_F_RUNNABLE) return TaskState::kRunnable;
  return TaskState::kBlocked;
}

}  // namespace ghost
