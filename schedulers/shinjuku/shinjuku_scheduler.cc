#include "schedulers/shinjuku/shinjuku_scheduler.h"

#include <algorithm>
#include <utility>

namespace ghost::shinjuku {

ShinjukuScheduler::ShinjukuScheduler(KernelInterface& kernel,
                                     std::vector<int> cpus, Options options)
    : CentralizedPolicy<ShinjukuTask>(kernel, cpus,
                                      ShinjukuTask(fifo::FifoTask::Blank(cpus)),
                                      {.slice = options.slice,
                                       .idle_spin = options.idle_spin,
                                       .lend_delay = options.lend_delay,
                                       .topology = options.topology,
                                       .queue_size = options.queue_size,
                                       .clock = std::move(options.clock)}),
      park_limit_ns_(absl::ToInt64Nanoseconds(options.park_limit)),
      by_gtid_(TaskSlots::kSlots),
      regions_(absl::ToInt64Nanoseconds(options.hint_settle_limit)),
      placed_cpu_(cpus.size(), 0) {}

absl::StatusOr<std::unique_ptr<Policy>> ShinjukuScheduler::Make(
    KernelInterface& kernel, const PolicyArgs& args) {
  if (args.cpus.size() < 2) {
    return absl::InvalidArgumentError(
        "shinjuku needs at least two CPUs: one for its global agent, one "
        "for the threads");
  }
  Options o{.topology = args.topology};
  if (args.slice.has_value()) o.slice = *args.slice;
  return std::make_unique<ShinjukuScheduler>(kernel, args.cpus, o);
}

void ShinjukuScheduler::AddCounters(Counters& out) const {
  auto add = [&out](const char* name, const std::atomic<uint64_t>& v) {
    out.emplace_back(name, v.load(std::memory_order_relaxed));
  };
  add("slice_preemptions", stats_.slice_preemptions);
  add("class_preemptions", stats_.class_preemptions);
  add("idle_takebacks", stats_.idle_takebacks);
  add("idle_commits", stats_.idle_commits);
  add("parks", stats_.parks);
  add("park_expiries", stats_.park_expiries);
  out.emplace_back("slices_ended", slices_ended());
  out.emplace_back("lent", lent());
  add("hints", stats_.hints);
  add("hints_unmatched", stats_.hints_unmatched);
  out.emplace_back("hint_regions", regions_.active());
  out.emplace_back("hint_region_faults", regions_.faults());
}

// ---- Queues ----

void ShinjukuScheduler::Enqueue(ShinjukuTask& t, bool front) {
  if (t.queued()) return;
  t.queued_ns = Now();
  if (t.idle) {
    stats_.parks.fetch_add(1, std::memory_order_relaxed);
    t.parked_ns = now_;
    parked_.PushBack(&t);
    return;
  }
  Queue& q = rq_[std::min(t.qos, kLevels - 1)];
  front ? q.PushFront(&t) : q.PushBack(&t);
}

void ShinjukuScheduler::Dequeue(ShinjukuTask& t) {
  for (Queue& q : rq_) q.Remove(&t);
  parked_.Remove(&t);
}

ShinjukuTask* ShinjukuScheduler::PopBest(int cpu, uint32_t worst) {
  for (uint32_t q = 0; q <= worst && q < kLevels; ++q) {
    if (fifo::FifoTask* t = rq_[q].PopFirst(
            [cpu](fifo::FifoTask* t) { return t->AllowedOn(cpu); })) {
      return Of(t);
    }
  }
  return nullptr;
}

const ShinjukuTask* ShinjukuScheduler::Head() const {
  const uint32_t best = BestWaiting();
  return best == kLevels ? nullptr : Of(rq_[best].front());
}

uint32_t ShinjukuScheduler::BestWaiting() const {
  for (uint32_t q = 0; q < kLevels; ++q) {
    if (!rq_[q].empty()) return q;
  }
  return kLevels;
}

// ---- Messages ----

void ShinjukuScheduler::Known(ShinjukuTask& t) {
  (void)by_gtid_.Put(t.gtid, t.sw_index);  // sized for every slot
  born_ = true;
}

void ShinjukuScheduler::TaskNew(ShinjukuTask& t, const ghost_msg& msg,
                                int agent_cpu) {
  Known(t);
  CentralizedPolicy::TaskNew(t, msg, agent_cpu);
}

void ShinjukuScheduler::TaskBlocked(ShinjukuTask& t, const ghost_msg& msg,
                                    int agent_cpu) {
  CentralizedPolicy::TaskBlocked(t, msg, agent_cpu);
  Dequeue(t);  // displaced, then blocked before it ran again
}

void ShinjukuScheduler::TaskPreempted(ShinjukuTask& t, const ghost_msg& msg,
                                      int agent_cpu) {
  if (TakeSlicedOut(t)) {
    // Ours: Displaced() queued it already (to the back for a slice, to the
    // front if a better class took the CPU).
    const bool front = t.front_on_preempt;
    t.front_on_preempt = false;
    LeaveCpus(t);
    Enqueue(t, front);
    return;
  }
  // Not ours (another scheduling class, or the global agent taking back
  // the CPU it lent): to the front, or to the back if its slice is over.
  LeftCpuIdle(t);  // e.g. the agent woke on the CPU it lent the thread
  t.front_on_preempt = false;
  CentralizedPolicy::TaskPreempted(t, msg, agent_cpu);
}

void ShinjukuScheduler::Displaced(ShinjukuTask& t) {
  LeftCpuIdle(t);
  LeaveCpus(t);
  if (t.idle) {
    slices().End(t);  // its CPU went to others for its hint, not a slice
  } else if (!t.front_on_preempt) {
    EndSlice(t);
  }
  Enqueue(t, t.front_on_preempt);
}

// `t` lost its CPU: if its hint says idle it is parked now, the idle edge
// (counted once: on our commit, Displaced(); otherwise on its PREEMPTED).
void ShinjukuScheduler::LeftCpuIdle(const ShinjukuTask& t) {
  if (t.idle && !t.from_park) {
    stats_.idle_takebacks.fetch_add(1, std::memory_order_relaxed);
  }
}

void ShinjukuScheduler::TaskGone(ShinjukuTask& t, const ghost_msg* msg,
                                 int agent_cpu) {
  by_gtid_.Erase(t.gtid);
  CentralizedPolicy::TaskGone(t, msg, agent_cpu);
}

void ShinjukuScheduler::TaskDiscovered(ShinjukuTask& t, TaskState before,
                                       int agent_cpu) {
  Known(t);
  CentralizedPolicy::TaskDiscovered(t, before, agent_cpu);
}

// ---- Hints ----

void ShinjukuScheduler::ApplyHint(int slot, const Hint& h) {
  const uint32_t index = by_gtid_.Get(h.gtid);
  ShinjukuTask* t =
      index == GtidIndex::kNone ? nullptr : tasks().Get(index, h.gtid);
  if (t == nullptr) {
    if (h.present) {
      unmatched_ = true;
      stats_.hints_unmatched.fetch_add(1, std::memory_order_relaxed);
    }
    return;
  }
  if (!h.present && t->hint_slot != slot) return;  // not its hint any more
  stats_.hints.fetch_add(1, std::memory_order_relaxed);
  const bool was_queued = t->queued();
  Dequeue(*t);
  t->from_park = false;
  t->hint_slot = h.present ? slot : -1;
  t->qos = h.present ? h.qos : kDefaultQos;
  t->idle = h.present && h.idle;
  t->work_class = h.present ? h.work_class : 0;
  t->deadline_ns = h.present ? h.deadline_ns : 0;
  if (was_queued) Enqueue(*t, false);
}

void ShinjukuScheduler::ForgetRegion(int slot) {
  tasks().ForEach([&](ShinjukuTask* t) {
    if (t->hint_slot == slot) {
      ApplyHint(slot, Hint{.gtid = t->gtid, .present = false});
    }
  });
}

bool ShinjukuScheduler::BeforeDecide(int64_t now) {
  now_ = now;
  if (unmatched_ && born_) {
    // Threads came that earlier hints may have named.
    regions_.RescanAll();
    unmatched_ = false;
  }
  born_ = false;
  return regions_.Poll(
      now, [this](int slot, const Hint& h) { ApplyHint(slot, h); },
      [this](int slot) { ForgetRegion(slot); });
}

// ---- Decisions ----

// A running thread may turn idle in its hint or use up its slice, a parked
// one may get work: none of that sends a message. Sleep only when the
// enclave has nothing to run.
bool ShinjukuScheduler::MaySleep() const {
  for (const Queue& q : rq_) {
    if (!q.empty()) return false;
  }
  if (!parked_.empty()) return false;
  for (const Cpu& c : cpus()) {
    if (c.current != nullptr) return false;
  }
  return true;
}

void ShinjukuScheduler::Decide(int64_t now) {
  std::fill(placed_cpu_.begin(), placed_cpu_.end(), 0);
  FillFreeCpus(now);
  PreemptForWaiters(now);
  RunParked(now);
}

// Free CPUs, and CPUs whose thread said it is idle, get the best waiting
// thread; an idle thread's CPU gets nothing if none waits.
void ShinjukuScheduler::FillFreeCpus(int64_t now) {
  const int global = global_cpu();
  std::vector<Cpu>& all = cpus();
  for (size_t i = 0; i < all.size(); ++i) {
    Cpu& c = all[i];
    if (c.cpu == global || !c.available) continue;
    ShinjukuTask* cur = c.current;
    // One run from the park past its limit is not taken back here (a
    // waiting thread still preempts it).
    const bool idle = cur != nullptr && cur->idle && !cur->from_park;
    if (cur != nullptr && !idle) continue;
    ShinjukuTask* next = PopBest(c.cpu, kLevels - 1);
    if (cur == nullptr && next == nullptr) continue;
    if (idle && next == nullptr) {
      stats_.idle_commits.fetch_add(1, std::memory_order_relaxed);
    }
    Place(c, next);
    placed_cpu_[i] = 1;
  }
}

// Waiting threads take CPUs from worse classes at once, and from their own
// class once the running thread used its slice. The worst victim first.
void ShinjukuScheduler::PreemptForWaiters(int64_t now) {
  const int global = global_cpu();
  std::vector<Cpu>& all = cpus();
  for (size_t round = 0; round < all.size(); ++round) {
    const uint32_t best = BestWaiting();
    if (best == kLevels) return;
    int victim = -1;
    uint32_t victim_qos = 0;
    bool victim_expired = false;
    int64_t victim_turn = 0;
    for (size_t i = 0; i < all.size(); ++i) {
      const Cpu& c = all[i];
      if (placed_cpu_[i] || c.cpu == global || !c.available ||
          c.current == nullptr) {
        continue;
      }
      // A thread run from the park is worse than any class.
      const uint32_t qos = c.current->idle ? kLevels : c.current->qos;
      // Only a thread the kernel says is on the CPU (SliceEnds).
      const bool expired = SliceEnds(c, now);
      if (!(qos > best || (qos == best && expired))) continue;
      // Of equals, the longest turn: not the first CPU in order, which
      // would let the thread on the last CPU keep it for ever.
      const int64_t turn = c.current->turn_start_ns;
      if (victim < 0 || qos > victim_qos ||
          (qos == victim_qos && expired &&
           (!victim_expired || turn < victim_turn))) {
        victim = static_cast<int>(i);
        victim_qos = qos;
        victim_expired = expired;
        victim_turn = turn;
      }
    }
    if (victim < 0) return;
    Cpu& c = all[victim];
    placed_cpu_[victim] = 1;
    // Only threads that beat the victim: better class, or its own once it
    // used its slice.
    const uint32_t worst = victim_expired ? victim_qos : victim_qos - 1;
    ShinjukuTask* next = PopBest(c.cpu, worst);
    if (next == nullptr) continue;  // none may run there: next victim
    const bool by_class = next->qos < victim_qos;
    c.current->front_on_preempt = by_class;
    (by_class ? stats_.class_preemptions : stats_.slice_preemptions)
        .fetch_add(1, std::memory_order_relaxed);
    Place(c, next);
  }
}

bool ShinjukuScheduler::KeepsLentCpu(Cpu& self, int64_t now) {
  ShinjukuTask& cur = *self.current;
  const uint32_t best = BestWaiting();
  if (cur.idle && !cur.from_park) return false;
  const uint32_t qos = cur.idle ? kLevels : cur.qos;
  if (best < qos) {
    cur.front_on_preempt = true;
    stats_.class_preemptions.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  if (best == qos && SliceEnds(self, now)) {
    stats_.slice_preemptions.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  return true;
}

// Parked threads whose hint stayed idle past the park limit run where
// nothing else wants the CPU: a thread that is never woken by its hint
// must not starve into the enclave's watchdog.
void ShinjukuScheduler::RunParked(int64_t now) {
  if (parked_.empty()) return;
  const int global = global_cpu();
  std::vector<Cpu>& all = cpus();
  for (size_t i = 0; i < all.size() && !parked_.empty(); ++i) {
    Cpu& c = all[i];
    if (placed_cpu_[i] || c.cpu == global || !c.available ||
        c.current != nullptr) {
      continue;
    }
    ShinjukuTask* t = Of(parked_.front());
    if (now - t->parked_ns < park_limit_ns_) return;  // oldest first
    fifo::FifoTask* p = parked_.PopFirst(
        [cpu = c.cpu](fifo::FifoTask* t) { return t->AllowedOn(cpu); });
    if (p == nullptr) continue;
    stats_.park_expiries.fetch_add(1, std::memory_order_relaxed);
    Of(p)->from_park = true;
    Place(c, Of(p));
    placed_cpu_[i] = 1;
  }
}

}  // namespace ghost::shinjuku
