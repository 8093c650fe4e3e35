#include "schedulers/fifo/centralized/idle_cpu_choice.h"

#include <limits>

namespace ghost::fifo {

int ChooseIdleCpu(absl::Span<const int> idle, int last_cpu,
                  const Topology* topology,
                  absl::FunctionRef<bool(int)> allowed) {
  const int home =
      topology != nullptr && last_cpu >= 0 ? topology->NodeOf(last_cpu) : -1;
  int best = -1;
  int best_distance = std::numeric_limits<int>::max();
  for (int cpu : idle) {
    if (!allowed(cpu)) continue;
    if (home < 0) return cpu;  // no preference: the first allowed
    int d = topology->Distance(home, topology->NodeOf(cpu));
    if (d < 0) d = std::numeric_limits<int>::max() - 1;  // unknown: last
    if (d < best_distance) {
      best = cpu;
      best_distance = d;
    }
  }
  return best;
}

}  // namespace ghost::fifo
