// WaitFor: the ABI fuzzer's bounded wait for a flag another thread sets
// (testing::WaitFor, tests/vm/wait_for.h, for an atomic flag).
#ifndef GHOST_TESTS_VM_FUZZ_WAIT_H_
#define GHOST_TESTS_VM_FUZZ_WAIT_H_

#include <atomic>

#include "absl/time/time.h"
#include "tests/vm/wait_for.h"

namespace ghost::fuzz {

// Waits for `done` up to `limit`.
inline bool WaitFor(const std::atomic<bool>& done, absl::Duration limit) {
  return testing::WaitFor([&done] { return done.load(); }, limit);
}

}  // namespace ghost::fuzz

#endif  // GHOST_TESTS_VM_FUZZ_WAIT_H_
