// ProgressWatchdog: makes a stalled ABI fuzzer fail with a diagnosis
// instead of hanging.
//
// It watches from a process of its own, forked before the fuzzing threads
// start: a stall of the fuzzer is often one of its address space (a thread
// waiting for the mmap lock behind a thread that never runs), and a
// watchdog thread in there would wait with it.
//
// The main loop calls Beat() after every step. The watcher looks once a
// second; when no beat came for `limit`, it prints the last operations of
// every fuzzing thread (trace.h) and the state, wait channel and kernel
// stack of every thread of the fuzzer, and sets fired(): a main loop that
// is still alive sees it, stops and fails the case. If the main loop then
// still makes no progress for `grace`, the case cannot end by itself: the
// watcher sends the fuzzer the runner's per-case timeout signal (SIGALRM,
// tap_listener.h), which names the case and ends the run, and SIGKILL if
// that did not end it.
//
//   absl::StatusOr<std::unique_ptr<ProgressWatchdog>> watchdog =
//       ProgressWatchdog::Start(absl::Seconds(30), absl::Seconds(20));
//   while (... && !(*watchdog)->fired()) { Step(); (*watchdog)->Beat(); }
//   EXPECT_FALSE((*watchdog)->fired());
#ifndef GHOST_TESTS_VM_FUZZ_PROGRESS_WATCHDOG_H_
#define GHOST_TESTS_VM_FUZZ_PROGRESS_WATCHDOG_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ghost::fuzz {

class ProgressWatchdog {
 public:
  // Forks the watcher. Call it while the caller is the only thread.
  static absl::StatusOr<std::unique_ptr<ProgressWatchdog>> Start(
      absl::Duration limit, absl::Duration grace);

  // Stops and reaps the watcher.
  ~ProgressWatchdog();
  ProgressWatchdog(const ProgressWatchdog&) = delete;
  ProgressWatchdog& operator=(const ProgressWatchdog&) = delete;

  void Beat();

  // Whether the watcher saw a stall.
  bool fired() const;

 private:
  struct Shared;

  explicit ProgressWatchdog(Shared* shared) : shared_(shared) {}
  static void Watch(Shared* shared, pid_t fuzzer, absl::Duration limit,
                    absl::Duration grace);

  Shared* const shared_;
  pid_t pid_ = -1;
};

}  // namespace ghost::fuzz

#endif  // GHOST_TESTS_VM_FUZZ_PROGRESS_WATCHDOG_H_
