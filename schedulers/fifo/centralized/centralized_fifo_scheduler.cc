#include "schedulers/fifo/centralized/centralized_fifo_scheduler.h"

#include <time.h>

#include <algorithm>
#include <utility>

namespace ghost::fifo {

namespace {

int64_t MonotonicNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

}  // namespace

CentralizedFifoScheduler::CentralizedFifoScheduler(KernelInterface& kernel,
                                                   std::vector<int> cpus,
                                                   Options options)
    : PolicyFor<FifoTask>(kernel, FifoTask::Blank(cpus)),
      options_(std::move(options)),
      batch_(kernel, static_cast<int>(cpus.size())),
      pending_(cpus.size(), nullptr),
      global_(cpus.front()) {
  if (!options_.clock) options_.clock = MonotonicNs;
  const int max = *std::max_element(cpus.begin(), cpus.end());
  index_.assign(max + 1, -1);
  for (size_t i = 0; i < cpus.size(); ++i) {
    index_[cpus[i]] = i;
    cpus_.push_back(Cpu{.cpu = cpus[i]});
  }
}

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

absl::Status CentralizedFifoScheduler::Init() {
  absl::StatusOr<Channel*> ch =
      kernel().CreateChannel(options_.queue_size, /*make_default=*/true);
  if (!ch.ok()) return ch.status();
  channel_ = *ch;
  const int wake[] = {global_cpu()};
  return kernel().SetChannelWakeup(*channel_, wake);
}

void CentralizedFifoScheduler::AgentAttached(int cpu, uint32_t sw_index) {
  CpuOf(cpu)->sw_index = sw_index;
}

void CentralizedFifoScheduler::AllAttached() {
  Discover(global_cpu(), *channel_);
}

uint64_t CentralizedFifoScheduler::current_on(int cpu) const {
  const int i = cpu < static_cast<int>(index_.size()) ? index_[cpu] : -1;
  return i >= 0 && cpus_[i].current != nullptr ? cpus_[i].current->gtid : 0;
}

void CentralizedFifoScheduler::Enqueue(FifoTask& t, bool front) {
  if (t.queued()) return;
  front ? rq_.PushFront(&t) : rq_.PushBack(&t);
}

void CentralizedFifoScheduler::LeaveCpus(FifoTask& t) {
  for (Cpu& c : cpus_) {
    if (c.current == &t) c.current = nullptr;
  }
}

void CentralizedFifoScheduler::TaskNew(FifoTask& t, const ghost_msg&, int) {
  if (t.state == TaskState::kRunnable) Enqueue(t, false);
}

void CentralizedFifoScheduler::TaskWakeup(FifoTask& t, const ghost_msg&, int) {
  Enqueue(t, false);
}

void CentralizedFifoScheduler::TaskBlocked(FifoTask& t, const ghost_msg&, int) {
  LeaveCpus(t);
}

void CentralizedFifoScheduler::TaskYield(FifoTask& t, const ghost_msg&, int) {
  LeaveCpus(t);
  Enqueue(t, false);
}

void CentralizedFifoScheduler::TaskPreempted(FifoTask& t, const ghost_msg&,
                                             int) {
  bool sliced = false;
  for (Cpu& c : cpus_) {
    if (c.sliced_out == &t) {
      c.sliced_out = nullptr;
      sliced = true;
    }
  }
  LeaveCpus(t);
  // A thread we preempted for its slice waits its turn; one a higher
  // class took the CPU from resumes first.
  Enqueue(t, /*front=*/!sliced);
}

void CentralizedFifoScheduler::TaskGone(FifoTask& t, const ghost_msg*, int) {
  LeaveCpus(t);
  for (Cpu& c : cpus_) {
    if (c.sliced_out == &t) c.sliced_out = nullptr;
  }
  rq_.Remove(&t);
}

void CentralizedFifoScheduler::TaskDiscovered(FifoTask& t, TaskState, int) {
  bool latched_here = false;
  for (const Cpu& c : cpus_) latched_here |= c.current == &t;
  // "On a CPU" where we did not latch it: queue it anyway. If it really
  // runs elsewhere the commit fails TARGET_ONCPU and its leaving will tell
  // us; if the word was behind, the commit runs it.
  if (t.state == TaskState::kRunnable ||
      (t.state == TaskState::kRunning && !latched_here)) {
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

void CentralizedFifoScheduler::CpuBusy(const ghost_msg& msg, int) {
  const int cpu = msg.cpu;
  if (Cpu* c = CpuOf(cpu)) c->available = false;
  if (cpu == global_cpu()) HandOffGlobalRole();
}

void CentralizedFifoScheduler::CpuAvailable(const ghost_msg& msg, int) {
  if (Cpu* c = CpuOf(msg.cpu)) c->available = true;
}

bool CentralizedFifoScheduler::CpuWanted(const Cpu& self) {
#ifdef GHOST_SW_F_CPU_WANTED
  return kernel().words().Read(self.sw_index).flags & GHOST_SW_F_CPU_WANTED;
#else
  (void)self;
  return false;  // ABI 1 does not say; the role stays
#endif
}

int CentralizedFifoScheduler::HandOffGlobalRole() {
  const int from = global_cpu();
  std::vector<int> others;  // set-up sized: a rare, slow path
  for (const Cpu& c : cpus_) {
    if (c.cpu != from && c.available) others.push_back(c.cpu);
  }
  int to = -1;
  if (options_.topology != nullptr) {
    to = options_.topology->Closest(from, others);
  } else if (!others.empty()) {
    to = others.front();
  }
  if (to < 0) return -1;
  const int wake[] = {to};
  (void)kernel().SetChannelWakeup(*channel_, wake);
  // The new global agent reads our state after this (acquire/release).
  global_.store(to, std::memory_order_release);
  (void)kernel().PingAgent(to);
  return to;
}

void CentralizedFifoScheduler::Round(int cpu) {
  Cpu& self = *CpuOf(cpu);
  const uint32_t barrier = kernel().words().Read(self.sw_index).barrier;
  if (cpu != global_cpu()) {
    // Not the global agent: sleep until pinged (the role may come here).
    (void)kernel().BlockAgent(barrier);
    return;
  }
  ghost_msg msg;
  bool work = false;
  while (channel_->Pop(&msg)) {
    Dispatch(msg, cpu);
    work = true;
  }
  if (channel_->TakeOverflow()) Resync(-1, /*adopt_unknown=*/true, nullptr);
  if (CpuWanted(self)) {
    HandOffGlobalRole();
    return;
  }
  const int64_t now = options_.clock();
  if (Schedule(now)) work = true;
  if (work) {
    last_work_ns_ = now;
  } else if (now - last_work_ns_ >
             absl::ToInt64Nanoseconds(options_.idle_spin)) {
    // Idle for a while: sleep until a message (the queue wakes us).
    (void)kernel().BlockAgent(barrier);
  }
}

// Fills every free CPU from the queue in one commit. Returns whether it
// committed anything.
bool CentralizedFifoScheduler::Schedule(int64_t now) {
  const int global = global_cpu();
  const int64_t slice = absl::ToInt64Nanoseconds(options_.slice);
  batch_.Clear();
  for (Cpu& c : cpus_) {
    if (rq_.empty()) break;
    if (c.cpu == global || !c.available) continue;
    const bool expired = c.current != nullptr && slice > 0 &&
                         now - c.current->run_start_ns >= slice;
    if (c.current != nullptr && !expired) continue;
    FifoTask* t =
        rq_.PopFirst([cpu = c.cpu](FifoTask* t) { return t->AllowedOn(cpu); });
    if (t == nullptr) continue;
    pending_[batch_.size()] = t;
    batch_.Add({.cpu = c.cpu, .gtid = t->gtid, .task_barrier = t->seq});
  }
  if (batch_.empty()) return false;
  txns_.calls.fetch_add(1, std::memory_order_relaxed);
  (void)batch_.Commit();
  for (int i = 0; i < batch_.size(); ++i) {
    FifoTask& t = *pending_[i];
    const int cpu = batch_.request(i).cpu;
    const int32_t result = batch_.result(i);
    txns_.Count(result);
    if (result == GHOST_TXN_COMPLETE) {
      LeaveCpus(t);
      Cpu& c = *CpuOf(cpu);
      // The thread it displaced gets PREEMPTED: it had its slice.
      if (c.current != nullptr) c.sliced_out = c.current;
      c.current = &t;
      t.state = TaskState::kRunning;
      t.cpu = cpu;
      t.run_start_ns = now;
      continue;
    }
    switch (OnCommitFailed(t, cpu, result)) {
      case Retry::kFront:
        Enqueue(t, true);
        break;
      case Retry::kBack:
        Enqueue(t, false);
        break;
      case Retry::kDrop:
        break;
    }
  }
  return true;
}

}  // namespace ghost::fifo
