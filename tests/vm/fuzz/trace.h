// The ABI fuzzer's operation trace: with GHOST_FUZZ_TRACE=1 every fuzzing
// thread names each operation before it runs, so the last line before a
// kernel crash is the operation that caused it.
#ifndef GHOST_TESTS_VM_FUZZ_TRACE_H_
#define GHOST_TESTS_VM_FUZZ_TRACE_H_

#include "absl/strings/string_view.h"

namespace ghost::fuzz {

// Turns printing on or off for every thread.
void EnableTrace(bool on);

// Names the calling thread in its trace lines ("main" by default); `who`
// must outlive the thread.
void SetTraceName(const char* who);

// Counts one operation of the calling thread and prints it if tracing.
void Trace(absl::string_view what);

}  // namespace ghost::fuzz

#endif  // GHOST_TESTS_VM_FUZZ_TRACE_H_
