// A private futex on a std::atomic<uint32_t>: how the dispatcher and the
// workers sleep and wake each other. A worker asleep here is blocked, so
// under ghost its wakeup goes through the agent (a message, a decision, a
// commit), which is the scheduling the experiment measures.
#ifndef GHOST_EXPERIMENTS_ROCKSDB_FUTEX_WORD_H_
#define GHOST_EXPERIMENTS_ROCKSDB_FUTEX_WORD_H_

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

namespace ghost::rocksdb_exp {

// Sleeps while *word == value; at most `limit_ns` if > 0. Spurious returns
// happen: callers re-check their condition.
inline void FutexWait(std::atomic<uint32_t>* word, uint32_t value,
                      int64_t limit_ns = 0) {
  timespec ts = {.tv_sec = static_cast<time_t>(limit_ns / 1'000'000'000),
                 .tv_nsec = static_cast<long>(limit_ns % 1'000'000'000)};
  syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, value,
          limit_ns > 0 ? &ts : nullptr, nullptr, 0);
}

inline void FutexWakeAll(std::atomic<uint32_t>* word) {
  syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, INT32_MAX, nullptr, nullptr, 0);
}

}  // namespace ghost::rocksdb_exp

#endif  // GHOST_EXPERIMENTS_ROCKSDB_FUTEX_WORD_H_
