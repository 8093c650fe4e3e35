#include "schedulers/fifo/centralized/centralized_fifo_scheduler.h"

#include <utility>

namespace ghost::fifo {

CentralizedFifoScheduler::CentralizedFifoScheduler(KernelInterface& kernel,
                                                   std::vector<int> cpus,
                                                   Options options)
    : CentralizedPolicy<FifoTask>(
          kernel, cpus, FifoTask::Blank(cpus),
          {.idle_spin = options.idle_spin,
           .topology = options.topology,
           .queue_size = options.queue_size,
           .clock = std::move(options.clock)}),
      slice_(options.slice) {}

absl::StatusOr<std::unique_ptr<Policy>> CentralizedFifoScheduler::Make(
    KernelInterface& kernel, const PolicyArgs& args) {
  if (args.cpus.empty()) {
    return absl::InvalidArgumentError(
        "fifo_centralized needs at least one CPU");
  }
  return std::make_unique<CentralizedFifoScheduler>(
      kernel, args.cpus,
      Options{.slice = args.slice, .topology = args.topology});
}

void CentralizedFifoScheduler::Enqueue(FifoTask& t, bool front) {
  if (t.queued()) return;
  front ? rq_.PushFront(&t) : rq_.PushBack(&t);
}

void CentralizedFifoScheduler::TaskNew(FifoTask& t, const ghost_msg&, int) {
  if (t.state == TaskState::kRunnable) Enqueue(t, false);
}

void CentralizedFifoScheduler::TaskWakeup(FifoTask& t, const ghost_msg&, int) {
  Enqueue(t, false);
}

void CentralizedFifoScheduler::TaskBlocked(FifoTask& t, const ghost_msg&, int) {
  LeaveCpus(t);
  rq_.Remove(&t);  // displaced, then blocked before it ran again
}

void CentralizedFifoScheduler::TaskYield(FifoTask& t, const ghost_msg&, int) {
  LeaveCpus(t);
  Enqueue(t, false);
}

void CentralizedFifoScheduler::TaskPreempted(FifoTask& t, const ghost_msg&,
                                             int) {
  const bool sliced = TakeSlicedOut(t);
  LeaveCpus(t);
  // A thread we preempted for its slice waits its turn; one a higher
  // class took the CPU from resumes first.
  Enqueue(t, /*front=*/!sliced);
}

void CentralizedFifoScheduler::TaskGone(FifoTask& t, const ghost_msg*, int) {
  LeaveCpus(t);
  TakeSlicedOut(t);
  rq_.Remove(&t);
}

void CentralizedFifoScheduler::TaskDiscovered(FifoTask& t, TaskState, int) {
  // "On a CPU" where we did not latch it: queue it anyway. If it really
  // runs elsewhere the commit fails TARGET_ONCPU and its leaving will tell
  // us; if the word was behind, the commit runs it.
  if (t.state == TaskState::kRunnable ||
      (t.state == TaskState::kRunning && !LatchedAnywhere(t))) {
    LeaveCpus(t);
    Enqueue(t, false);
  } else {
    rq_.Remove(&t);
    LeaveCpus(t);
  }
}

void CentralizedFifoScheduler::TaskAffinityChanged(FifoTask& t,
                                                   const ghost_msg&, int) {
  t.not_allowed.Clear();
}

// Fills every free CPU (and every CPU whose thread used its slice) from
// the queue.
void CentralizedFifoScheduler::Decide(int64_t now) {
  const int global = global_cpu();
  const int64_t slice = absl::ToInt64Nanoseconds(slice_);
  for (Cpu& c : cpus()) {
    if (rq_.empty()) break;
    if (c.cpu == global || !c.available) continue;
    const bool expired = c.current != nullptr && slice > 0 &&
                         now - c.current->run_start_ns >= slice;
    if (c.current != nullptr && !expired) continue;
    FifoTask* t =
        rq_.PopFirst([cpu = c.cpu](FifoTask* t) { return t->AllowedOn(cpu); });
    if (t != nullptr) Place(c, t);
  }
}

}  // namespace ghost::fifo
