// Pins the calling thread to one CPU: every timed thread of the bench runs
// where the measurement says (cpu_layout.h), so that a wakeup "from CPU 1
// to CPU 2" is one.
//
//   if (absl::Status s = Pin(kAgentCpu); !s.ok()) return s;
#ifndef GHOST_EXPERIMENTS_MICROBENCH_CPU_PIN_H_
#define GHOST_EXPERIMENTS_MICROBENCH_CPU_PIN_H_

#include "absl/status/status.h"

namespace ghost::bench {

// An error names the CPU and errno, and says the bench needs 4 CPUs.
absl::Status Pin(int cpu);

}  // namespace ghost::bench

#endif  // GHOST_EXPERIMENTS_MICROBENCH_CPU_PIN_H_
