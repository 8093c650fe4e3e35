// The ABI fuzzer's workers: real threads that sleep, yield and spin, change
// their affinity and nice value and start short-lived threads. The fuzzer
// moves them between enclaves (only while they sleep) and the rogue agents
// schedule them.
#ifndef GHOST_TESTS_VM_FUZZ_WORKERS_H_
#define GHOST_TESTS_VM_FUZZ_WORKERS_H_

#include "tests/vm/fuzz/world.h"

namespace ghost::fuzz {

// Starts kWorkers workers into w.workers; returns once each knows its tid.
// They run until w.stop_workers.
void StartWorkers(World& w);

}  // namespace ghost::fuzz

#endif  // GHOST_TESTS_VM_FUZZ_WORKERS_H_
