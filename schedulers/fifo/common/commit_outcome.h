// What a FIFO policy does with a task whose commit did not complete: the
// rules both FIFO schedulers share, in one place.
#ifndef GHOST_SCHEDULERS_FIFO_COMMON_COMMIT_OUTCOME_H_
#define GHOST_SCHEDULERS_FIFO_COMMON_COMMIT_OUTCOME_H_

#include <array>
#include <atomic>
#include <cstdint>

#include "lib/agent/task.h"
#include "lib/uapi/linux/ghost.h"

namespace ghost::fifo {

enum class Retry {
  kFront,  // try it again first: a message about it (or us) is coming
  kBack,   // queue it behind the others (it cannot run here)
  kDrop,   // not runnable as far as the kernel knows: wait for a message
};

// Applies a failed result to `t` (state, disallowed CPUs) and says where it
// goes. `cpu` is where the commit tried to run it.
inline Retry OnCommitFailed(Task& t, int cpu, int32_t result) {
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

// Commit results by GHOST_TXN_* code, for logs and tests.
struct TxnCounters {
  std::array<std::atomic<uint64_t>, GHOST_TXN_COMPLETE + GHOST_TXN_NR_RESULTS>
      by_result{};
  std::atomic<uint64_t> calls{0};  // GHOST_OP_COMMIT calls

  void Count(int32_t result) {
    if (result >= 0 && result < static_cast<int32_t>(by_result.size())) {
      by_result[result].fetch_add(1, std::memory_order_relaxed);
    }
  }
  uint64_t completed() const {
    return by_result[GHOST_TXN_COMPLETE].load(std::memory_order_relaxed);
  }
  uint64_t failed() const {
    uint64_t n = 0;
    for (size_t r = GHOST_TXN_COMPLETE + 1; r < by_result.size(); ++r) {
      n += by_result[r].load(std::memory_order_relaxed);
    }
    return n;
  }
};

}  // namespace ghost::fifo

#endif  // GHOST_SCHEDULERS_FIFO_COMMON_COMMIT_OUTCOME_H_
