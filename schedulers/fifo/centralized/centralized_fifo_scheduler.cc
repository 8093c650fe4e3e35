#include "schedulers/fifo/centralized/centralized_fifo_scheduler.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "schedulers/fifo/centralized/idle_cpu_choice.h"

namespace ghost::fifo {

CentralizedFifoScheduler::CentralizedFifoScheduler(KernelInterface& kernel,
                                                   std::vector<int> cpus,
                                                   Options options)
    : CentralizedPolicy<FifoTask>(kernel, cpus, FifoTask::Blank(cpus),
                                  {.slice = options.slice,
                                   .idle_spin = options.idle_spin,
                                   .lend_delay = options.lend_delay,
                                   .topology = options.topology,
                                   .queue_size = options.queue_size,
                                   .clock = std::move(options.clock)}) {
  free_.reserve(cpus.size());
}

absl::StatusOr<std::unique_ptr<Policy>> CentralizedFifoScheduler::Make(
    KernelInterface& kernel, const PolicyArgs& args) {
  if (args.cpus.empty()) {
    return absl::InvalidArgumentError(
        "fifo_centralized needs at least one CPU");
  }
  Options options{.topology = args.topology};
  if (args.slice.has_value()) options.slice = *args.slice;
  return std::make_unique<CentralizedFifoScheduler>(kernel, args.cpus,
                                                    std::move(options));
}

void CentralizedFifoScheduler::Enqueue(FifoTask& t, bool front) {
  if (t.queued()) return;
  t.queued_ns = Now();
  front ? rq_.PushFront(&t) : rq_.PushBack(&t);
}

// Fills every free CPU (and every CPU whose thread had its slice) from the
// queue: the oldest thread first, each on the free CPU nearest where it
// last ran.
void CentralizedFifoScheduler::Decide(int64_t now) {
  if (rq_.empty()) return;
  const int global = global_cpu();
  free_.clear();
  for (Cpu& c : cpus()) {
    if (c.cpu == global || !c.available) continue;
    if (c.current != nullptr && !SliceEnds(c, now)) continue;
    free_.push_back(c.cpu);
  }
  while (!free_.empty()) {
    int cpu = -1;
    FifoTask* t = rq_.PopFirst([&](FifoTask* t) {
      cpu = ChooseIdleCpu(free_, t->cpu, options().topology,
                          [t](int c) { return t->AllowedOn(c); });
      return cpu >= 0;
    });
    if (t == nullptr) break;
    free_.erase(std::find(free_.begin(), free_.end(), cpu));
    Place(*CpuOf(cpu), t);
  }
}

}  // namespace ghost::fifo
