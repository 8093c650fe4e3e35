// The per-CPU FIFO's time slices: which thread a CPU runs next when its
// own thread may still hold it, and where each CPU's ticks go (the queue
// that wakes its agent only while threads wait). The rest of the policy is
// in percpu_fifo_scheduler.cc.
#include <atomic>

#include "schedulers/fifo/percpu/percpu_fifo_scheduler.h"

namespace ghost::fifo {

// What `c` runs next, with c.lock held. Normally its thread has left the
// CPU (blocked, yielded, or was preempted when this agent woke up) and
// this is its queue's head. If a thread of ours still holds the CPU (it
// has not started yet, or the agent was woken without taking the CPU), it
// keeps it unless it has had its slice and another thread waits: then the
// head of our queue takes over, or, with ours empty, `steal_now` says to
// take a thread waiting on another CPU.
FifoTask* PerCpuFifoScheduler::NextForCpu(Cpu& c, int64_t now, bool& steal_now) {
  steal_now = false;
  if (c.current == nullptr) return PopRunnable(c);
  FifoTask& cur = *c.current;
  if (!slices_.Over(cur, now)) return nullptr;
  // A latch that has not run yet is replaced without a word (docs/abi.md):
  // only a thread that is on the CPU may be displaced, or it would be lost.
  const StatusWord w = kernel().words().Read(cur.sw_index);
  if (w.gtid != cur.gtid || !(w.flags & GHOST_SW_F_ONCPU)) return nullptr;
  if (FifoTask* next = PopRunnable(c)) return next;
  steal_now = AnyoneWaits();
  return nullptr;
}

// Whether `c`, whose queue's head has waited `head_waited` ns and which
// runs `next` (or its current thread) meanwhile, should wake an idle CPU
// to take it. A thread queued behind a running one was often woken by it
// and runs here as soon as its waker blocks (a pipe, a futex hand-off, a
// parent waiting for its child): a helper on another CPU would cost a
// cross-CPU wakeup at every hand-off. So helpers come once the head has
// waited `help_delay`; until then this CPU's ticks wake its agent to look
// again (RouteTicks). Without ticks (no slices), and when nothing here
// runs, at once.
bool PerCpuFifoScheduler::HelpNow(const Cpu& c, const FifoTask* next,
                                  int64_t head_waited) const {
  if (c.cpu_channel == nullptr) return true;
  if (next == nullptr && c.current == nullptr) return true;
  return head_waited >= absl::ToInt64Nanoseconds(options_.help_delay);
}

bool PerCpuFifoScheduler::AnyoneWaits() const {
  std::atomic_thread_fence(std::memory_order_seq_cst);
  for (const auto& c : cpus_) {
    if (c->nr_queued.load(std::memory_order_relaxed) > 0) return true;
  }
  return false;
}

// From now on the ticks of `c` wake its agent. Any agent may call it.
void PerCpuFifoScheduler::TicksWake(Cpu& c) {
  if (c.cpu_channel == nullptr) return;  // no slices
  if (!c.ticks_wake.exchange(true)) {
    (void)kernel().SetCpuChannel(c.cpu, *c.channel);
  }
}

// The agent of `c`, about to block, `busy` if a thread of ours holds the
// CPU: its ticks wake it while that thread may have to make way for a
// waiting one. Turning them off races with another agent turning them on
// (TicksWake) after queueing a thread: looking again after the switch
// settles it, so a waiting thread never goes unseen.
void PerCpuFifoScheduler::RouteTicks(Cpu& c, bool busy) {
  if (c.cpu_channel == nullptr) return;
  if (busy && AnyoneWaits()) {
    TicksWake(c);
    return;
  }
  if (!c.ticks_wake.load()) return;
  c.ticks_wake.store(false);
  (void)kernel().SetCpuChannel(c.cpu, *c.cpu_channel);
  if (busy && AnyoneWaits()) {
    c.ticks_wake.store(true);
    (void)kernel().SetCpuChannel(c.cpu, *c.channel);
  }
}

// The CPU messages of `c` that came while its ticks woke nobody: the
// slice is timed by our clock, so they only need emptying.
void PerCpuFifoScheduler::DrainCpuMessages(Cpu& c) {
  if (c.cpu_channel == nullptr) return;
  ghost_msg msg;
  while (c.cpu_channel->Pop(&msg)) {
  }
  (void)c.cpu_channel->TakeOverflow();
}

}  // namespace ghost::fifo
