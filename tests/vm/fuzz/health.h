// The ABI fuzzer's health checks, run once the fuzzing threads stopped and
// every enclave is destroyed: the kernel must still work. Each reports
// through GoogleTest (EXPECT/ASSERT) in the calling test.
#ifndef GHOST_TESTS_VM_FUZZ_HEALTH_H_
#define GHOST_TESTS_VM_FUZZ_HEALTH_H_

#include "tests/vm/fuzz/world.h"

namespace ghost::fuzz {

// After the enclaves are gone, every worker is a CFS thread again and
// finishes. Returns whether all did.
bool ExpectWorkersFinish(World& w);

// The top ctl creates, an enclave takes CPUs and is destroyed, version
// reads "2".
void ExpectCtlStillWorks();

// A real agent still runs a thread to completion on a fuzzed kernel.
void ExpectAnAgentStillSchedules();

// /sys/fs/ghost/objects goes back to 0 once every enclave is destroyed and
// every queue fd closed.
void ExpectNothingLeaked();

// Brings back any enclave CPU the hotplug left offline.
void EnsureCpusOnline();

}  // namespace ghost::fuzz

#endif  // GHOST_TESTS_VM_FUZZ_HEALTH_H_
