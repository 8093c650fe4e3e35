// The ABI fuzzer's settings, read from the environment (the lab passes no
// flags through to one test): GHOST_FUZZ_SEED, GHOST_FUZZ_SECONDS,
// GHOST_FUZZ_TRACE, GHOST_FUZZ_NO_HOTPLUG.
#ifndef GHOST_TESTS_VM_FUZZ_CONFIG_H_
#define GHOST_TESTS_VM_FUZZ_CONFIG_H_

#include <cstdint>

#include "absl/time/time.h"

namespace ghost::fuzz {

struct FuzzConfig {
  uint64_t seed;
  absl::Duration duration;
  bool trace;
  // GHOST_FUZZ_NO_HOTPLUG=1 keeps every CPU online, to look past a hotplug
  // finding until it is fixed; the default run takes CPUs offline.
  bool hotplug;
};

FuzzConfig ReadConfig();

// How long to fuzz: the configured duration, cut to leave the checks
// afterwards time within the runner's per-case budget `test_timeout`.
absl::Duration FuzzDuration(const FuzzConfig& c, absl::Duration test_timeout);

}  // namespace ghost::fuzz

#endif  // GHOST_TESTS_VM_FUZZ_CONFIG_H_
