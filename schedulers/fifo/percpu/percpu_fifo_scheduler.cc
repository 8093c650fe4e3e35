#include "schedulers/fifo/percpu/percpu_fifo_scheduler.h"

#include <time.h>

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lib/agent/txn.h"

namespace ghost::fifo {

namespace {

// The agent wants its CPU back whenever the thread it latched leaves it.
constexpr uint32_t kRunFlags = GHOST_RUN_F_WAKE_ON_BLOCK |
                               GHOST_RUN_F_WAKE_ON_YIELD |
                               GHOST_RUN_F_WAKE_ON_PREEMPT;

constexpr int64_t kAnyTime = std::numeric_limits<int64_t>::max();

// A CPU's own messages: ticks, read (and dropped) every round; a tick a
// millisecond, so a small ring that overflows harmlessly while its agent
// sleeps.
constexpr uint32_t kCpuQueueSize = 64;

int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

PerCpuFifoScheduler::Options WithClock(PerCpuFifoScheduler::Options o) {
  if (!o.clock) o.clock = MonotonicNs;
  return o;
}

}  // namespace

PerCpuFifoScheduler::PerCpuFifoScheduler(KernelInterface& kernel,
                                         std::vector<int> cpus, Options options)
    : PolicyFor<FifoTask>(kernel, FifoTask::Blank(cpus), cpus),
      cpu_ids_(std::move(cpus)),
      options_(WithClock(std::move(options))),
      slices_(options_.slice) {
  const int max = *std::max_element(cpu_ids_.begin(), cpu_ids_.end());
  index_.assign(max + 1, -1);
  const FifoTask blank = FifoTask::Blank(cpu_ids_);
  for (size_t i = 0; i < cpu_ids_.size(); ++i) {
    index_[cpu_ids_[i]] = i;
    cpus_.push_back(std::make_unique<Cpu>());
    cpus_.back()->cpu = cpu_ids_[i];
    cpus_.back()->head_refused = blank.not_allowed;
  }
}

absl::StatusOr<std::unique_ptr<Policy>> PerCpuFifoScheduler::Make(
    KernelInterface& kernel, const PolicyArgs& args) {
  if (args.cpus.empty()) {
    return absl::InvalidArgumentError("fifo_percpu needs at least one CPU");
  }
  Options options;
  if (args.slice.has_value()) options.slice = *args.slice;
  return std::make_unique<PerCpuFifoScheduler>(kernel, args.cpus,
                                               std::move(options));
}

absl::Status PerCpuFifoScheduler::Init() {
  for (auto& c : cpus_) {
    absl::StatusOr<Channel*> ch =
        kernel().CreateChannel(options_.queue_size,
                               /*make_default=*/IsHome(*c));
    if (!ch.ok()) return ch.status();
    c->channel = *ch;
    const int wake[] = {c->cpu};
    if (absl::Status s = kernel().SetChannelWakeup(*c->channel, wake);
        !s.ok()) {
      return s;
    }
    if (!slices_.enabled()) continue;
    // Its CPU messages, ticks above all, wake nobody until threads wait.
    ch = kernel().CreateChannel(kCpuQueueSize, /*make_default=*/false);
    if (!ch.ok()) return ch.status();
    c->cpu_channel = *ch;
    if (const int err = kernel().SetCpuChannel(c->cpu, *c->cpu_channel)) {
      return absl::ErrnoToStatus(err, absl::StrCat("CPU messages of CPU ",
                                                   c->cpu, " to a queue"));
    }
  }
  return slices_.enabled() ? kernel().EnableTicks() : absl::OkStatus();
}

void PerCpuFifoScheduler::AddCounters(Counters& out) const {
  out.emplace_back("steals", steals());
  out.emplace_back("placed_elsewhere", placed_elsewhere());
  out.emplace_back("slices_ended", slices_ended());
}

void PerCpuFifoScheduler::AllAttached() {
  // Threads that were in the enclave before us (a previous agent's) are
  // adopted by the home CPU and placed over the CPUs as they are found
  // (after an agent's death, hundreds of them may be runnable at once).
  Cpu& home = *cpus_.front();
  SpinLockHolder lock(&home.lock);
  Discover(home.cpu, *home.channel);
}

// The queue functions below run with c.lock held.
void PerCpuFifoScheduler::Enqueue(Cpu& c, FifoTask& t, bool front,
                                  int64_t since) {
  if (t.queued()) return;
  t.queued_ns = since >= 0 ? since : options_.clock();
  front ? c.rq.PushFront(&t) : c.rq.PushBack(&t);
  c.nr_queued.fetch_add(1, std::memory_order_relaxed);
  PublishHead(c);
}

void PerCpuFifoScheduler::Dequeue(Cpu& c, FifoTask& t) {
  if (t.rq != &c.rq) return;
  c.rq.Remove(&t);
  c.nr_queued.fetch_sub(1, std::memory_order_relaxed);
  PublishHead(c);
}

// The first thread queued on `c` that may run there.
FifoTask* PerCpuFifoScheduler::PopRunnable(Cpu& c) {
  const int cpu = c.cpu;
  FifoTask* t = c.rq.PopFirst([cpu](FifoTask* t) { return t->AllowedOn(cpu); });
  if (t != nullptr) {
    c.nr_queued.fetch_sub(1, std::memory_order_relaxed);
    PublishHead(c);
  }
  return t;
}

void PerCpuFifoScheduler::PublishHead(Cpu& c) {
  c.head_since.store(c.rq.empty() ? 0 : c.rq.front()->queued_ns,
                     std::memory_order_relaxed);
}

void PerCpuFifoScheduler::LeaveCpu(Cpu& c, FifoTask& t) {
  if (c.current != &t) return;
  c.current = nullptr;
  c.busy.store(false, std::memory_order_relaxed);
}

int PerCpuFifoScheduler::Load(const Cpu& c) const {
  return c.nr_queued.load(std::memory_order_relaxed) +
         (c.busy.load(std::memory_order_relaxed) ? 1 : 0);
}

// A move costs a system call (Associate) and the target's agent a wakeup
// (a ping, or its ticks waking it from now on). It pays only where the
// thread runs clearly sooner: on an idle CPU, or one with kMoveMargin
// fewer threads. Beside a CPU-bound thread on every CPU, a new thread
// behind its parent's CPU-bound one would otherwise be moved to a CPU
// where it waits just as long for another (a churn of short-lived
// threads then paid a move for nearly every thread).
PerCpuFifoScheduler::Cpu* PerCpuFifoScheduler::Lighter(const FifoTask& t,
                                                       const Cpu& than) {
  const int than_load = Load(than);
  Cpu* best = nullptr;
  int best_load = 0;
  bool best_idle = false;
  for (auto& c : cpus_) {
    if (c.get() == &than || !t.AllowedOn(c->cpu)) continue;
    const int load = Load(*c);
    const bool idle = c->idle.load(std::memory_order_relaxed);
    if (!idle && load + kMoveMargin > than_load) continue;
    if (best == nullptr || load < best_load ||
        (load == best_load && idle && !best_idle)) {
      best = c.get();
      best_load = load;
      best_idle = idle;
    }
  }
  return best;
}

// Callbacks run in Drain(), with the dispatching CPU's lock held.
void PerCpuFifoScheduler::TaskNew(FifoTask& t, const ghost_msg& msg,
                                  int agent_cpu) {
  if (t.state != TaskState::kRunnable) return;
  const bool forked = msg.flags & GHOST_MSG_F_FORKED;
  // The kernel queued a child on a CPU its affinity allows (a change of
  // that since comes after this message): committed there, it runs with
  // one system call (Run). A churn of short-lived children runs each once.
  if (forked && msg.cpu >= 0 && msg.cpu < static_cast<int>(index_.size()) &&
      index_[msg.cpu] >= 0) {
    t.known_allowed.Add(msg.cpu);
  }
  Place(CpuOf(agent_cpu), t, forked ? msg.cpu : -1);
}

// Where a thread that became runnable waits (placement, in the header):
// on `here`, the CPU whose agent heard of it, while nothing waits there;
// a forked child (`parent`: its parent's CPU, where the kernel queued it)
// on its parent's CPU instead, so that a parent that creates a thread and
// waits for it lets it run right there (one that goes on running makes
// that CPU's ticks look again; without ticks nothing would wake that
// CPU's agent while the parent runs on, so the child stays here, where
// helpers come at once). Behind waiting threads, on an idle CPU or one
// with clearly fewer (Lighter).
void PerCpuFifoScheduler::Place(Cpu& here, FifoTask& t, int parent) {
  if (t.queued()) return;
  Cpu* there = &here;
  if (parent >= 0 && parent < static_cast<int>(index_.size()) &&
      index_[parent] >= 0 && t.AllowedOn(parent) &&
      CpuOf(parent).cpu_channel != nullptr) {
    there = &CpuOf(parent);
  }
  // Behind other waiting threads it would wait for the CPU's thread and
  // theirs: a CPU with fewer threads runs it sooner.
  if (there->nr_queued.load(std::memory_order_relaxed) > 0) {
    if (Cpu* lighter = Lighter(t, *there)) there = lighter;
  }
  if (there != &here && MoveTo(here, *there, t)) {
    if (there->cpu != parent) {
      placed_elsewhere_.fetch_add(1, std::memory_order_relaxed);
    }
    return;
  }
  Enqueue(here, t, false);
}

bool PerCpuFifoScheduler::MoveTo(Cpu& here, Cpu& there, FifoTask& t) {
  // Two agents each holding their own lock must not wait for the other's.
  if (!there.lock.TryLock()) return false;
  bool placed = false, wake = false;
  // Its messages go there from now on, if it has none we have not seen.
  if (kernel().Associate(*there.channel, t.gtid, t.seq) == 0) {
    t.owner = there.cpu;
    Enqueue(there, t, false);
    // Either its agent, about to sleep idle, sees this count move, or
    // we see it idle and ping it (seq_cst: one of the two, Round()).
    there.handed_over.fetch_add(1, std::memory_order_seq_cst);
    wake = there.idle.exchange(false, std::memory_order_seq_cst);
    placed = true;
  }
  there.lock.Unlock();
  if (wake) {
    (void)kernel().PingAgent(there.cpu);
  } else if (placed) {
    // Its thread runs on there: its agent must look again at its next
    // tick, or a thread that keeps running (a parent creating 200
    // threads) would hold the new one queued behind it until it blocks.
    TicksWake(there);
  }
  return placed;
}

void PerCpuFifoScheduler::TaskWakeup(FifoTask& t, const ghost_msg&,
                                     int agent_cpu) {
  Place(CpuOf(agent_cpu), t, -1);
}

void PerCpuFifoScheduler::TaskBlocked(FifoTask& t, const ghost_msg&,
                                      int agent_cpu) {
  LeaveCpu(CpuOf(agent_cpu), t);
  slices_.End(t);
}

void PerCpuFifoScheduler::TaskYield(FifoTask& t, const ghost_msg&,
                                    int agent_cpu) {
  Cpu& c = CpuOf(agent_cpu);
  LeaveCpu(c, t);
  slices_.End(t);
  Enqueue(c, t, false);
}

void PerCpuFifoScheduler::TaskPreempted(FifoTask& t, const ghost_msg&,
                                        int agent_cpu) {
  Cpu& c = CpuOf(agent_cpu);
  LeaveCpu(c, t);
  const int64_t now = options_.clock();
  if (slices_.Over(t, now)) {
    // It had its slice (we took the CPU for the next one, or its turn
    // ended while something else ran): behind the others.
    slices_.End(t);
    slices_ended_.fetch_add(1, std::memory_order_relaxed);
    Enqueue(c, t, false, now);
    return;
  }
  // Something else took the CPU for a moment (this agent, a higher
  // class): it resumes its turn first.
  Enqueue(c, t, true, now);
}

void PerCpuFifoScheduler::TaskGone(FifoTask& t, const ghost_msg*,
                                   int agent_cpu) {
  Cpu& c = CpuOf(agent_cpu);
  LeaveCpu(c, t);
  Dequeue(c, t);
  slices_.End(t);
}

void PerCpuFifoScheduler::TaskDiscovered(FifoTask& t, TaskState,
                                         int agent_cpu) {
  Cpu& c = CpuOf(agent_cpu);
  slices_.End(t);
  // A word that says "on a CPU" we did not latch it on is queued too: if
  // it really runs elsewhere the commit fails TARGET_ONCPU and its leaving
  // will tell us; if it does not (any more), the commit runs it.
  if (t.state == TaskState::kRunnable ||
      (t.state == TaskState::kRunning && c.current != &t)) {
    LeaveCpu(c, t);
    Place(c, t, -1);
  } else {
    Dequeue(c, t);
    LeaveCpu(c, t);
  }
}

void PerCpuFifoScheduler::TaskAffinityChanged(FifoTask& t, const ghost_msg&,
                                              int agent_cpu) {
  t.ForgetAffinity();
}

void PerCpuFifoScheduler::Drain(Cpu& c) {
  DrainCpuMessages(c);
  ghost_msg msg;
  while (c.channel->Pop(&msg)) Dispatch(msg, c.cpu);
  // Lost messages: the status words say what we missed.
  if (c.channel->TakeOverflow()) Resync(c.cpu, IsHome(c), nullptr);
}

void PerCpuFifoScheduler::Round(int cpu) {
  Cpu& c = CpuOf(cpu);
  // Awake: not a CPU to ping any more (until it sleeps idle again).
  c.idle.store(false, std::memory_order_relaxed);
  // Read the barrier first: an event after this makes the block return.
  const uint32_t barrier = AgentBarrier(cpu);
  const uint32_t handed_over = c.handed_over.load(std::memory_order_seq_cst);
  const int64_t now = options_.clock();
  FifoTask* next = nullptr;
  bool backlog, steal_now = false;
  int64_t head_waited = 0;
  {
    SpinLockHolder lock(&c.lock);
    Drain(c);
    next = NextForCpu(c, now, steal_now);
    backlog = !c.rq.empty();
    if (backlog) {
      head_waited = now - c.rq.front()->queued_ns;
      // A copy of the same size: no allocation.
      c.head_refused = c.rq.front()->not_allowed;
    }
  }
  if (backlog && HelpNow(c, next, head_waited)) WakeHelper(c, c.head_refused);
  if (next != nullptr && !slices_.InTurn(*next)) {
    next = StealOlder(c, *next);
  } else if (next == nullptr && (c.current == nullptr || steal_now)) {
    // Nothing of ours to run (or our thread had its slice and others
    // wait elsewhere): the oldest thread another CPU could not run yet.
    next = Steal(c, steal_now ? now : kAnyTime);
  }
  RouteTicks(c, /*busy=*/next != nullptr || c.current != nullptr);
  if (next == nullptr) {
    const bool idle = c.current == nullptr;
    c.idle.store(idle, std::memory_order_seq_cst);
    // A thread handed to us since we looked, by an agent that found us
    // not idle yet (MoveTo): look again rather than sleep on it.
    if (idle &&
        c.handed_over.load(std::memory_order_seq_cst) != handed_over) {
      return;
    }
    (void)kernel().BlockAgent(barrier);  // ESTALE: look again
    return;
  }
  Run(c, *next, barrier);
}

// Latches `t` here and sleeps until something happens on this CPU.
//
// The kernel blocks an agent that commits with GHOST_COMMIT_F_BLOCK
// whatever the commit's result: after a refusal the agent sleeps with
// nothing latched, its queue waiting, until some event for its CPU comes.
// A refusal that a message about the thread follows (stale, on a CPU,
// not runnable, gone) wakes it; CPU_NOT_ALLOWED does not, and a thread
// that only this agent could hand on would be stranded. So a thread is
// committed with the block only on a CPU its affinity surely allows (a
// commit of it completed there before, or the kernel put it there when it
// was forked: FifoTask::known_allowed) and while we believe it is off
// every CPU; otherwise the commit comes first and the block only if it
// latched (one more system call, the first time a thread runs on such a
// CPU).
void PerCpuFifoScheduler::Run(Cpu& c, FifoTask& t, uint32_t agent_barrier) {
  const RunRequest req = {.cpu = c.cpu,
                          .gtid = t.gtid,
                          .task_barrier = t.seq,
                          .agent_barrier = agent_barrier,
                          .run_flags = kRunFlags};
  const bool block_in_commit =
      t.known_allowed.Contains(c.cpu) && t.state != TaskState::kRunning;
  // While the agent sleeps in the commit, the thread is latched here, not
  // a runnable one that no queue holds (what the census would say).
  const TaskState before = t.state;
  const int before_cpu = t.cpu;
  t.state = TaskState::kRunning;
  t.cpu = c.cpu;
  txns_.calls.fetch_add(1, std::memory_order_relaxed);
  const int32_t result =
      CommitOne(kernel(), req, block_in_commit ? GHOST_COMMIT_F_BLOCK : 0);
  txns_.Count(result);
  if (result == GHOST_TXN_COMPLETE && !block_in_commit) {
    (void)kernel().BlockAgent(agent_barrier);  // ESTALE: it waits for us
  }
  SpinLockHolder lock(&c.lock);
  if (result == GHOST_TXN_COMPLETE) {
    c.current = &t;
    c.busy.store(true, std::memory_order_relaxed);
    t.known_allowed.Add(c.cpu);
    slices_.Begin(t, options_.clock());
    return;
  }
  t.state = before;
  t.cpu = before_cpu;
  switch (OnCommitFailed(t, c.cpu, result)) {
    case Retry::kFront:
      Enqueue(c, t, true);
      break;
    case Retry::kBack:
      Enqueue(c, t, false);
      break;
    case Retry::kDrop:
      break;
  }
}

// `mine` is what `c` would run next: another CPU's head that has waited
// steal_age longer runs first, and `mine` goes back to the front.
FifoTask* PerCpuFifoScheduler::StealOlder(Cpu& c, FifoTask& mine) {
  const int64_t age = absl::ToInt64Nanoseconds(options_.steal_age);
  FifoTask* older = Steal(c, mine.queued_ns - age);
  if (older == nullptr) return &mine;
  SpinLockHolder lock(&c.lock);
  Enqueue(c, mine, /*front=*/true, mine.queued_ns);
  return older;
}

// Takes the oldest thread another CPU has queued before `queued_before`
// and may run here. A thief with nothing to run (kAnyTime) looks first at
// the CPU with the most threads waiting: that is where they wait longest.
FifoTask* PerCpuFifoScheduler::Steal(Cpu& thief, int64_t queued_before) {
  const size_t n = cpus_.size();
  const size_t me = index_[thief.cpu];
  Cpu* longest = nullptr;
  if (queued_before == kAnyTime) {
    int most = 0;
    for (size_t i = 1; i < n; ++i) {
      Cpu& victim = *cpus_[(me + i) % n];
      const int queued = victim.nr_queued.load(std::memory_order_relaxed);
      if (queued > most) {
        most = queued;
        longest = &victim;
      }
    }
    if (longest != nullptr) {
      if (FifoTask* t = StealFrom(thief, *longest, queued_before)) return t;
    }
  }
  for (size_t i = 1; i < n; ++i) {
    Cpu& victim = *cpus_[(me + i) % n];
    if (&victim == longest) continue;
    if (FifoTask* t = StealFrom(thief, victim, queued_before)) return t;
  }
  return nullptr;
}

FifoTask* PerCpuFifoScheduler::StealFrom(Cpu& thief, Cpu& victim,
                                         int64_t queued_before) {
  if (victim.nr_queued.load(std::memory_order_relaxed) == 0) return nullptr;
  // 0: empty. Every queued thread has a time, so kAnyTime takes any.
  const int64_t head = victim.head_since.load(std::memory_order_relaxed);
  if (head == 0 || head >= queued_before) return nullptr;
  if (!victim.lock.TryLock()) return nullptr;
  FifoTask* t = victim.rq.PopFirst([&](FifoTask* t) {
    return t->AllowedOn(thief.cpu) && t->queued_ns < queued_before;
  });
  if (t != nullptr) {
    victim.nr_queued.fetch_sub(1, std::memory_order_relaxed);
    PublishHead(victim);
    // Its messages come here from now on, if we saw them all.
    if (kernel().Associate(*thief.channel, t->gtid, t->seq) == 0) {
      t->owner = thief.cpu;
    } else {
      // News about it is on its way there.
      Enqueue(victim, *t, true, t->queued_ns);
      t = nullptr;
    }
  }
  victim.lock.Unlock();
  if (t != nullptr) steals_.fetch_add(1, std::memory_order_relaxed);
  return t;
}

// `busy` has threads waiting: wake one idle agent to steal them, one on
// whose CPU the first of them may run (`head_refused`: the CPUs that
// refused it, copied with busy.lock held; a helper that may not run it
// would find nothing and sleep again, while the CPU it may run on would
// never be asked). With none idle, every CPU's ticks
// wake its agent from now on, so that the waiting threads get a CPU when a
// slice ends, wherever that is.
void PerCpuFifoScheduler::WakeHelper(Cpu& busy, const CpuSet& head_refused) {
  for (auto& c : cpus_) {
    if (c.get() == &busy || head_refused.Contains(c->cpu)) continue;
    if (c->idle.exchange(false, std::memory_order_relaxed)) {
      (void)kernel().PingAgent(c->cpu);
      return;
    }
  }
  for (auto& c : cpus_) TicksWake(*c);
}

}  // namespace ghost::fifo
