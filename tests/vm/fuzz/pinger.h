// The pinger: wakes the rogue agents when they block (a thread of an
// agent's process may ping it), pings CPUs at random, and now and then
// signals an agent so that blocking returns EINTR. Runs until
// world.stop_helpers, which the test sets after the agents stopped.
#ifndef GHOST_TESTS_VM_FUZZ_PINGER_H_
#define GHOST_TESTS_VM_FUZZ_PINGER_H_

#include "tests/vm/fuzz/world.h"

namespace ghost::fuzz {

void PingerBody(World& w);

}  // namespace ghost::fuzz

#endif  // GHOST_TESTS_VM_FUZZ_PINGER_H_
