// SpinLock: a lock that never sleeps, for state that agent threads share
// for a few instructions at a time (a per-CPU run queue that other CPUs'
// agents steal from). An agent must not sleep in a lock: its CPU has
// nobody else to run its threads. Thieves use TryLock() and move on.
#ifndef GHOST_LIB_UTIL_SPIN_LOCK_H_
#define GHOST_LIB_UTIL_SPIN_LOCK_H_

#include <atomic>

#include "absl/base/thread_annotations.h"

namespace ghost {

class ABSL_LOCKABLE SpinLock {
 public:
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    while (locked_.exchange(true, std::memory_order_acquire)) {
      while (locked_.load(std::memory_order_relaxed)) __builtin_ia32_pause();
    }
  }
  bool TryLock() ABSL_EXCLUSIVE_TRYLOCK_FUNCTION(true) {
    return !locked_.load(std::memory_order_relaxed) &&
           !locked_.exchange(true, std::memory_order_acquire);
  }
  void Unlock() ABSL_UNLOCK_FUNCTION() {
    locked_.store(false, std::memory_order_release);
  }

 private:
  std::atomic<bool> locked_{false};
};

// Holds a SpinLock for a scope.
class ABSL_SCOPED_LOCKABLE SpinLockHolder {
 public:
  explicit SpinLockHolder(SpinLock* l) ABSL_EXCLUSIVE_LOCK_FUNCTION(l) : l_(l) {
    l_->Lock();
  }
  ~SpinLockHolder() ABSL_UNLOCK_FUNCTION() { l_->Unlock(); }
  SpinLockHolder(const SpinLockHolder&) = delete;
  SpinLockHolder& operator=(const SpinLockHolder&) = delete;

 private:
  SpinLock* l_;
};

}  // namespace ghost

#endif  // GHOST_LIB_UTIL_SPIN_LOCK_H_
