#include "experiments/microbench/cpu_pin.h"

#include <sched.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace ghost::bench {

absl::Status Pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) {
    return absl::InternalError(absl::StrCat(
        "cannot pin to CPU ", cpu, ": ", std::strerror(errno),
        " (the bench needs at least 4 CPUs: run the lab with --smp 4)"));
  }
  return absl::OkStatus();
}

}  // namespace ghost::bench
