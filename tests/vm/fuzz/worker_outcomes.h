// WorkerOutcomes: what the workers' own calls returned, counted in memory
// shared between the worker process and the fuzzer (no locks, no
// allocation: a fixed table of atomics), and added to the fuzzer's ledger
// at the end as if each call had been recorded there.
#ifndef GHOST_TESTS_VM_FUZZ_WORKER_OUTCOMES_H_
#define GHOST_TESTS_VM_FUZZ_WORKER_OUTCOMES_H_

#include <atomic>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "tests/vm/fuzz/ledger.h"

namespace ghost::fuzz {

// The calls a worker makes that have an outcome.
enum class WorkerCall { kAffinity, kNice, kChild, kCount };

class WorkerOutcomes {
 public:
  // The call returned `ok`, or failed with `err`; `input` is kept for the
  // first call that failed with each errno. Async-signal-safe.
  void Note(WorkerCall call, bool ok, int err, absl::string_view input);

  // Adds every noted outcome to `ledger`, with what docs/abi.md allows.
  void AddTo(FuzzLedger& ledger) const;

 private:
  static constexpr int kErrnos = 256;  // larger ones count as 255
  static constexpr int kInputBytes = 48;
  struct Kind {
    std::atomic<uint64_t> ok{0};
    std::atomic<uint64_t> failed[kErrnos] = {};
    std::atomic<bool> has_input[kErrnos] = {};
    char input[kErrnos][kInputBytes] = {};
  };
  Kind kinds_[static_cast<int>(WorkerCall::kCount)];
};

}  // namespace ghost::fuzz

#endif  // GHOST_TESTS_VM_FUZZ_WORKER_OUTCOMES_H_
