// ProgressWatchdog: makes a stalled ABI fuzzer fail with a diagnosis
// instead of hanging.
//
// The main loop calls Beat() after every step. A thread looks once a
// second; when no beat came for `limit`, it prints the last operations of
// every fuzzing thread (trace.h) and the kernel stack of every thread of
// the process, records a test failure and calls `on_stall` (which stops
// the fuzzing threads). If the main loop then still makes no progress for
// `grace`, a thread is stuck in the kernel and the case cannot end by
// itself: the watchdog brings the runner's per-case alarm forward
// (tap_listener.h), which names the case and ends the run.
//
//   ProgressWatchdog watchdog(absl::Seconds(30), absl::Seconds(20),
//                             [&] { world.stop.store(true); });
//   while (...) { surface.Step(); watchdog.Beat(); }
#ifndef GHOST_TESTS_VM_FUZZ_PROGRESS_WATCHDOG_H_
#define GHOST_TESTS_VM_FUZZ_PROGRESS_WATCHDOG_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace ghost::fuzz {

class ProgressWatchdog {
 public:
  ProgressWatchdog(absl::Duration limit, absl::Duration grace,
                   std::function<void()> on_stall);
  // Stops watching.
  ~ProgressWatchdog();
  ProgressWatchdog(const ProgressWatchdog&) = delete;
  ProgressWatchdog& operator=(const ProgressWatchdog&) = delete;

  void Beat() { beats_.fetch_add(1, std::memory_order_relaxed); }

  // Whether it saw a stall.
  bool fired() const { return fired_.load(); }

 private:
  void Run();
  // Waits until the beat count moves on from `beats`, for up to `limit`;
  // false if it did not (or the watchdog is stopping).
  bool ProgressWithin(uint64_t beats, absl::Duration limit);
  void Report(absl::Duration quiet);

  const absl::Duration limit_;
  const absl::Duration grace_;
  const std::function<void()> on_stall_;
  std::atomic<uint64_t> beats_{0};
  std::atomic<bool> fired_{false};
  absl::Notification stopping_;
  std::thread thread_;
};

}  // namespace ghost::fuzz

#endif  // GHOST_TESTS_VM_FUZZ_PROGRESS_WATCHDOG_H_
