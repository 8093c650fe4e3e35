// The centralized FIFO's time slices: when the thread on a CPU makes way
// for the head of the queue, and when the global agent may sleep. The rest
// of the policy is in centralized_fifo_scheduler.cc.
#include "schedulers/fifo/centralized/centralized_fifo_scheduler.h"

namespace ghost::fifo {

// Whether the thread on `c` has had its slice and may be displaced (the
// queue is not empty when this is asked). Only a thread that is on the
// CPU: a latch that has not run yet (the CPU is held by a higher class,
// or has not rescheduled) is replaced without a PREEMPTED (docs/abi.md),
// and the thread would be lost, runnable, until the watchdog.
bool CentralizedFifoScheduler::SliceEnds(const Cpu& c, int64_t now) {
  const Task& cur = *c.current;
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

}  // namespace ghost::fifo
