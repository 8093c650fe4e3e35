// The ABI fuzzer's operation trace. Every fuzzing thread names each
// operation before it runs. The last few of each thread are kept, so that
// when the fuzzer stops making progress the watchdog can say what each
// thread was doing; with GHOST_FUZZ_TRACE=1 every one is also printed, so
// the last line before a kernel crash is the operation that caused it.
#ifndef GHOST_TESTS_VM_FUZZ_TRACE_H_
#define GHOST_TESTS_VM_FUZZ_TRACE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace ghost::fuzz {

// Turns printing on or off for every thread.
void EnableTrace(bool on);

// Names the calling thread in its trace ("main" by default); `who` must
// outlive the thread. A thread that takes the name of an earlier one takes
// over its record.
void SetTraceName(const char* who);

// Counts one operation of the calling thread, keeps it among its last
// ones and prints it if tracing.
void Trace(absl::string_view what);

// The last operations of every thread that traced, oldest first, each with
// how long ago it started.
std::string RecentOperations();

}  // namespace ghost::fuzz

#endif  // GHOST_TESTS_VM_FUZZ_TRACE_H_
