// The centralized FIFO's time slices: when the thread on a CPU makes way
// for the head of the queue, and when the global agent may sleep. The rest
// of the policy is in centralized_fifo_scheduler.cc.
#include "schedulers/fifo/centralized/centralized_fifo_scheduler.h"

#include "lib/agent/txn.h"

namespace ghost::fifo {

// Whether the thread on `c` has had its slice and may be displaced (the
// queue is not empty when this is asked). Only a thread that is on the
// CPU: a latch that has not run yet (the CPU is held by a higher class,
// or has not rescheduled) is replaced without a PREEMPTED (docs/abi.md),
// and the thread would be lost, runnable, until the watchdog.
bool CentralizedFifoScheduler::SliceEnds(const Cpu& c, int64_t now) {
  const FifoTask& cur = *c.current;
  if (!slices_.Over(cur, now)) return false;
  const StatusWord w = kernel().words().Read(cur.sw_index);
  return w.gtid == cur.gtid && (w.flags & GHOST_SW_F_ONCPU);
}

// The global agent may block in the kernel (its queue wakes it) only while
// no thread waits: a waiting thread needs the agent to see the slices end,
// and no message would come for that.
bool CentralizedFifoScheduler::MaySleep() const {
  return !slices_.enabled() || rq_.empty();
}

// After Schedule() filled every CPU it could: if threads still wait (the
// head for lend_delay at least), the
// global agent runs the head of the queue on its own CPU and blocks (one
// commit with GHOST_COMMIT_F_BLOCK). It wakes at the next tick of its CPU
// (the ticks of the global CPU come to its queue), at any message, or when
// the thread leaves the CPU; waking, it takes the CPU back (the thread is
// PREEMPTED and resumes its turn, here or elsewhere, in the next rounds).
// Returns whether it lent the CPU (and has been woken since).
bool CentralizedFifoScheduler::LendGlobalCpu(Cpu& self, uint32_t barrier,
                                             int64_t now) {
  if (cpu_sink_ == nullptr || rq_.empty() || !self.available) return false;
  // The thread lent last time still holds the CPU (the agent was woken
  // without taking it from the thread, or it has not started): it keeps
  // its turn until its slice ends.
  if (self.current != nullptr && !SliceEnds(self, now)) {
    (void)kernel().BlockAgent(barrier);  // ESTALE: look again
    return true;
  }
  if (now - rq_.front()->queued_ns <
      absl::ToInt64Nanoseconds(options_.lend_delay)) {
    return false;
  }
  FifoTask* t =
      rq_.PopFirst([cpu = self.cpu](FifoTask* t) { return t->AllowedOn(cpu); });
  if (t == nullptr) return false;
  const RunRequest req = {.cpu = self.cpu,
                          .gtid = t->gtid,
                          .task_barrier = t->seq,
                          .agent_barrier = barrier,
                          .run_flags = GHOST_RUN_F_WAKE_ON_BLOCK |
                                       GHOST_RUN_F_WAKE_ON_YIELD |
                                       GHOST_RUN_F_WAKE_ON_PREEMPT};
  txns_.calls.fetch_add(1, std::memory_order_relaxed);
  const int32_t result = CommitOne(kernel(), req, GHOST_COMMIT_F_BLOCK);
  txns_.Count(result);
  if (result == GHOST_TXN_COMPLETE) {
    ++lent_;
    LeaveCpus(*t);
    self.current = t;
    t->state = TaskState::kRunning;
    t->cpu = self.cpu;
    t->run_start_ns = now;
    slices_.Begin(*t, now);
    last_work_ns_ = now;
    return true;
  }
  switch (OnCommitFailed(*t, self.cpu, result)) {
    case Retry::kFront:
      Enqueue(*t, true);
      break;
    case Retry::kBack:
      Enqueue(*t, false);
      break;
    case Retry::kDrop:
      break;
  }
  return false;
}

// The global role moves from `from` to `to`: so do the ticks that time
// the slices while it lends its CPU.
// `from` is then an ordinary CPU whose CPU messages nobody reads: its
// CPU_AVAILABLE would never come, so it counts as available from now on
// (a latch there waits behind a higher class anyway), as every CPU did
// before the global CPU's messages were read.
void CentralizedFifoScheduler::RouteTicks(int from, int to) {
  if (cpu_sink_ == nullptr) return;
  (void)kernel().SetCpuChannel(to, *channel_);
  (void)kernel().SetCpuChannel(from, *cpu_sink_);
  if (Cpu* c = CpuOf(from)) c->available = true;
}

}  // namespace ghost::fifo
