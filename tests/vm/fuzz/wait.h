// WaitFor: the ABI fuzzer's bounded wait for a flag another thread sets.
#ifndef GHOST_TESTS_VM_FUZZ_WAIT_H_
#define GHOST_TESTS_VM_FUZZ_WAIT_H_

#include <atomic>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace ghost::fuzz {

// Waits for `done` up to `limit`.
inline bool WaitFor(const std::atomic<bool>& done, absl::Duration limit) {
  const absl::Time end = absl::Now() + limit;
  while (!done.load() && absl::Now() < end) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  return done.load();
}

}  // namespace ghost::fuzz

#endif  // GHOST_TESTS_VM_FUZZ_WAIT_H_
