// A private futex on a std::atomic<int>: the CFS baselines' way to sleep
// and to wake another thread, the cheapest wakeup CFS offers.
//
//   while (word.load() == 0) FutexWaitFor(&word, 0, 100000000);  // sleeper
//   word.store(1); FutexWake(&word);                              // waker
#ifndef GHOST_EXPERIMENTS_MICROBENCH_FUTEX_H_
#define GHOST_EXPERIMENTS_MICROBENCH_FUTEX_H_

#include <atomic>
#include <cstdint>

namespace ghost::bench {

// Waits while *word == value, at most `limit_ns` (a spurious or timed-out
// return is fine: callers re-check their condition).
void FutexWaitFor(std::atomic<int>* word, int value, uint64_t limit_ns);

// Wakes one waiter on `word`.
void FutexWake(std::atomic<int>* word);

}  // namespace ghost::bench

#endif  // GHOST_EXPERIMENTS_MICROBENCH_FUTEX_H_
