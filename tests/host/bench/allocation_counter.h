// Counts calls to the global operator new in this binary, so a test or
// benchmark can show that a loop allocates nothing. Link exactly one
// allocation_counter.cc into the binary.
#ifndef GHOST_TESTS_HOST_BENCH_ALLOCATION_COUNTER_H_
#define GHOST_TESTS_HOST_BENCH_ALLOCATION_COUNTER_H_

#include <cstdint>

namespace ghost::testing {

// operator new calls so far, in all threads.
uint64_t AllocationCount();

}  // namespace ghost::testing

#endif  // GHOST_TESTS_HOST_BENCH_ALLOCATION_COUNTER_H_
