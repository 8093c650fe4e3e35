// FifoTask: what the FIFO policies keep about each thread, beyond what
// the framework knows (Task): their run queue links, where a commit was
// refused (CPU_NOT_ALLOWED), and the times their decisions compare.
#ifndef GHOST_SCHEDULERS_FIFO_COMMON_FIFO_TASK_H_
#define GHOST_SCHEDULERS_FIFO_COMMON_FIFO_TASK_H_

#include <algorithm>
#include <cstdint>

#include "absl/types/span.h"
#include "lib/agent/run_queue.h"
#include "lib/agent/task.h"
#include "lib/util/cpu_set.h"

namespace ghost::fifo {

struct FifoTask : Task, RunQueueLinks<FifoTask> {
  // Its CPU set holds CPUs 0 .. `nr_cpus` - 1 without allocating.
  explicit FifoTask(int nr_cpus = 0)
      : not_allowed(nr_cpus), known_allowed(nr_cpus) {}

  // The blank task of a policy on `cpus`: sized to the machine (and to
  // the largest of `cpus`, for a fake kernel's larger numbers).
  static FifoTask Blank(absl::Span<const int> cpus) {
    int n = CpuSet::MachineCpus();
    for (int c : cpus) n = std::max(n, c + 1);
    return FifoTask(n);
  }

  // CPUs where a commit failed CPU_NOT_ALLOWED; cleared when its affinity
  // changes. A policy skips them.
  CpuSet not_allowed;
  // CPUs its affinity surely allows, learned since it last changed (or
  // since the agent learned of the thread): where a commit of it completed,
  // and where the kernel put a forked child (its select_task_rq keeps a
  // thread on an allowed CPU). A commit there will not be refused
  // CPU_NOT_ALLOWED. Cleared with `not_allowed`.
  CpuSet known_allowed;
  int64_t run_start_ns = 0;  // when it was last latched
  int64_t queued_ns = 0;     // when it joined its run queue (policy clock)
  // When its turn on a CPU began (0: not in a turn; time_slice.h).
  int64_t turn_start_ns = 0;

  bool AllowedOn(int c) const { return !not_allowed.Contains(c); }
  void Disallow(int c) { not_allowed.Add(c); }
  // Its affinity changed: what commits taught about it no longer holds.
  void ForgetAffinity() {
    not_allowed.Clear();
    known_allowed.Clear();
  }
};

}  // namespace ghost::fifo

#endif  // GHOST_SCHEDULERS_FIFO_COMMON_FIFO_TASK_H_
