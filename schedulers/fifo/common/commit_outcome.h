// What a FIFO policy does with a task whose commit did not complete: the
// rules both FIFO schedulers share, in one place.
#ifndef GHOST_SCHEDULERS_FIFO_COMMON_COMMIT_OUTCOME_H_
#define GHOST_SCHEDULERS_FIFO_COMMON_COMMIT_OUTCOME_H_

#include <cstdint>

#include "lib/agent/task.h"
#include "lib/uapi/linux/ghost.h"
#include "schedulers/fifo/common/fifo_task.h"

namespace ghost::fifo {

enum class Retry {
  kFront,  // try it again first: a message about it (or us) is coming
  kBack,   // queue it behind the others (it cannot run here)
  kDrop,   // not runnable as far as the kernel knows: wait for a message
};

// Applies a failed result to `t` (state, disallowed CPUs) and says where it
// goes. `cpu` is where the commit tried to run it.
inline Retry OnCommitFailed(FifoTask& t, int cpu, int32_t result) {
  switch (result) {
    case GHOST_TXN_TARGET_NOT_RUNNABLE:
      // Our view was old: it sleeps, and its WAKEUP will come.
      t.state = TaskState::kBlocked;
      return Retry::kDrop;
    case GHOST_TXN_TARGET_ONCPU:
      // It runs elsewhere (it entered running, K2): its leaving will say.
      t.state = TaskState::kRunning;
      t.cpu = -1;
      return Retry::kDrop;
    case GHOST_TXN_TARGET_NOT_FOUND:
      // Gone, or not announced yet: its DEAD or NEW message will come.
      return Retry::kDrop;
    case GHOST_TXN_CPU_NOT_ALLOWED:
      t.Disallow(cpu);
      return Retry::kBack;
    default:
      // Stale barriers, a lost agent, a failed call: try again.
      return Retry::kFront;
  }
}

}  // namespace ghost::fifo

#endif  // GHOST_SCHEDULERS_FIFO_COMMON_COMMIT_OUTCOME_H_
