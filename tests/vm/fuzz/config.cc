#include "tests/vm/fuzz/config.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"

namespace ghost::fuzz {
namespace {

uint64_t EnvU64(const char* name, uint64_t fallback) {
  const char* v = getenv(name);
  uint64_t out;
  return v != nullptr && absl::SimpleAtoi(v, &out) ? out : fallback;
}

}  // namespace

FuzzConfig ReadConfig() {
  FuzzConfig c;
  c.seed = EnvU64("GHOST_FUZZ_SEED",
                  static_cast<uint64_t>(absl::ToUnixNanos(absl::Now())) ^
                      static_cast<uint64_t>(getpid()));
  c.duration = absl::Seconds(EnvU64("GHOST_FUZZ_SECONDS", 40));
  c.trace = EnvU64("GHOST_FUZZ_TRACE", 0) != 0;
  c.hotplug = EnvU64("GHOST_FUZZ_NO_HOTPLUG", 0) == 0;
  return c;
}

absl::Duration FuzzDuration(const FuzzConfig& c,
                            absl::Duration test_timeout) {
  // Leave the checks afterwards time within the per-case budget.
  const absl::Duration budget = test_timeout - absl::Seconds(20);
  if (c.duration <= budget) return c.duration;
  printf("# GHOST_FUZZ_SECONDS is more than --test_timeout allows; fuzzing "
         "%d s (pass --test_timeout=%ds for more)\n",
         static_cast<int>(absl::ToInt64Seconds(budget)),
         static_cast<int>(absl::ToInt64Seconds(c.duration) + 30));
  return std::max(budget, absl::Seconds(1));
}

}  // namespace ghost::fuzz
