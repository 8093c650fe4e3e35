// What one of the ABI fuzzer's workers does: real work a rogue agent has
// to schedule. It sleeps, yields and spins, changes its affinity and nice
// value and starts short-lived threads (born in the enclave if the worker
// is a ghost thread). The fuzzer moves workers between enclaves only while
// they sleep.
#ifndef GHOST_TESTS_VM_FUZZ_WORKERS_H_
#define GHOST_TESTS_VM_FUZZ_WORKERS_H_

#include "tests/vm/fuzz/rng.h"
#include "tests/vm/fuzz/worker_outcomes.h"

namespace ghost::fuzz {

// One step, a few microseconds to milliseconds long.
void WorkerStep(FuzzRng& rng, WorkerOutcomes& outcomes);

}  // namespace ghost::fuzz

#endif  // GHOST_TESTS_VM_FUZZ_WORKERS_H_
