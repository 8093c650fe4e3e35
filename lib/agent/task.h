// Task: the agent's view of one ghost thread, and the state machine its
// messages drive.
//
//        NEW ──► runnable ◄──► running ──► blocked ──► (WAKEUP) runnable
//         │                                  ...
//         └──► blocked / running (NEW says how it entered)
//   any live state ──► dead (DEAD) or departed (DEPARTED)
//
// "running" means latched or on a CPU: a commit that completed moves a
// task there, and YIELD/PREEMPTED/BLOCKED move it off.
// NextState() is pure, so the host tests check every edge; an edge that
// should not happen (the agent's view and the kernel's differ, e.g. after
// lost messages) is reported as not legal, and the scheduler counts it
// and resynchronises instead of crashing.
#ifndef GHOST_LIB_AGENT_TASK_H_
#define GHOST_LIB_AGENT_TASK_H_

#include <cstdint>

#include "lib/uapi/linux/ghost.h"

namespace ghost {

enum class TaskState : uint8_t {
  kNew,       // slot claimed, NEW not applied yet
  kBlocked,   // asleep
  kRunnable,  // wants a CPU
  kRunning,   // latched or running on `cpu`
  kDead,      // exited (last message)
  kDeparted,  // left the enclave (last message)
};

const char* TaskStateName(TaskState s);

struct Transition {
  TaskState to;
  bool legal;  // false: the message makes no sense in the old state
};

// The state after message `type` (with NEW's `flags`) in state `from`.
Transition NextState(TaskState from, uint16_t type, uint16_t flags);

// The state the status word's flags describe (for discovery/resync).
TaskState StateFromStatusWordFlags(uint32_t flags);

// What the framework knows of a thread. A policy keeps its own per-thread
// state in a type derived from Task (e.g. schedulers/fifo/common/
// fifo_task.h), and its task table holds that type (task_table.h).
struct Task {
  uint64_t gtid = 0;
  uint32_t sw_index = 0;
  uint32_t seq = 0;  // latest message applied: the barrier to commit with
  TaskState state = TaskState::kNew;
  int cpu = -1;    // where it runs or last ran (-1: unknown)
  int owner = -1;  // the agent CPU whose queue its messages go to
  int nice = 0;
  uint64_t runtime = 0;

  bool live() const {
    return state != TaskState::kDead && state != TaskState::kDeparted;
  }
};

}  // namespace ghost

#endif  // GHOST_LIB_AGENT_TASK_H_
