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
  for (size_t i = 0; i < cpu_ids_.size(); ++i) {
    index_[cpu_ids_[i]] = i;
    cpus_.push_back(std::make_unique<Cpu>());
    cpus_.back()->cpu = cpu_ids_[i];
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

void PerCpuFifoScheduler::AllAttached() {
  // Threads that were in the enclave before us (a previous agent's) are
  // adopted by the home CPU; stealing spreads them.
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
  if (c.current == &t) c.current = nullptr;
}

// Callbacks run in Drain(), with the dispatching CPU's lock held.
void PerCpuFifoScheduler::TaskNew(FifoTask& t, const ghost_msg& msg,
                                  int agent_cpu) {
  if (t.state != TaskState::kRunnable) return;
  Cpu& home = CpuOf(agent_cpu);
  if ((msg.flags & GHOST_MSG_F_FORKED) && StartWithParent(t, msg.cpu, home)) {
    return;
  }
  Enqueue(home, t, false);
}

// A child born in the enclave (msg.cpu: its parent's CPU, where the kernel
// queued it) waits on its parent's CPU rather than on the home CPU that
// heard of it: a parent that forks or creates a thread and then waits
// for it lets it run right there, with no cross-CPU wakeup either way (a
// parent that goes on running gets a helper after help_delay). With
// `home`'s lock held; false if the child stays home (that CPU is home,
// not ours, busy being locked, or the child has news already).
bool PerCpuFifoScheduler::StartWithParent(FifoTask& t, int cpu, Cpu& home) {
  if (cpu < 0 || cpu >= static_cast<int>(index_.size()) || index_[cpu] < 0 ||
      cpu == home.cpu || !t.AllowedOn(cpu)) {
    return false;
  }
  Cpu& there = CpuOf(cpu);
  // Without ticks nothing would wake that CPU's agent while the parent
  // runs on: the child stays home, where helpers come at once.
  if (there.cpu_channel == nullptr) return false;
  // Two agents each holding their own lock must not wait for the other's.
  if (!there.lock.TryLock()) return false;
  bool placed = false, wake = false;
  // Its messages go there from now on, if it has none after its NEW.
  if (kernel().Associate(*there.channel, t.gtid, t.seq) == 0) {
    t.owner = cpu;
    Enqueue(there, t, false);
    wake = there.idle.exchange(false, std::memory_order_relaxed);
    placed = true;
  }
  there.lock.Unlock();
  if (wake) {
    (void)kernel().PingAgent(cpu);
  } else if (placed) {
    // The parent runs on there: its agent must look again at its next
    // tick, or a parent that keeps running (creating 200 threads) would
    // hold its children queued behind it until it blocks.
    TicksWake(there);
  }
  return placed;
}

void PerCpuFifoScheduler::TaskWakeup(FifoTask& t, const ghost_msg&,
                                     int agent_cpu) {
  Enqueue(CpuOf(agent_cpu), t, false);
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
    Enqueue(c, t, false);
  } else {
    Dequeue(c, t);
    LeaveCpu(c, t);
  }
}

void PerCpuFifoScheduler::TaskAffinityChanged(FifoTask& t, const ghost_msg&,
                                              int agent_cpu) {
  t.not_allowed.Clear();
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
  const int64_t now = options_.clock();
  FifoTask* next = nullptr;
  bool backlog, steal_now = false;
  int64_t head_waited = 0;
  {
    SpinLockHolder lock(&c.lock);
    Drain(c);
    next = NextForCpu(c, now, steal_now);
    backlog = !c.rq.empty();
    if (backlog) head_waited = now - c.rq.front()->queued_ns;
  }
  if (backlog && HelpNow(c, next, head_waited)) WakeHelper(c);
  if (next != nullptr && !slices_.InTurn(*next)) {
    next = StealOlder(c, *next);
  } else if (next == nullptr && (c.current == nullptr || steal_now)) {
    // Nothing of ours to run (or our thread had its slice and others
    // wait elsewhere): the oldest thread another CPU could not run yet.
    next = Steal(c, steal_now ? now : kAnyTime);
  }
  RouteTicks(c, /*busy=*/next != nullptr || c.current != nullptr);
  if (next == nullptr) {
    c.idle.store(c.current == nullptr, std::memory_order_relaxed);
    (void)kernel().BlockAgent(barrier);  // ESTALE: look again
    return;
  }
  Run(c, *next, barrier);
}

// Latches `t` here and sleeps until something happens on this CPU.
void PerCpuFifoScheduler::Run(Cpu& c, FifoTask& t, uint32_t agent_barrier) {
  const RunRequest req = {.cpu = c.cpu,
                          .gtid = t.gtid,
                          .task_barrier = t.seq,
                          .agent_barrier = agent_barrier,
                          .run_flags = kRunFlags};
  txns_.calls.fetch_add(1, std::memory_order_relaxed);
  const int32_t result = CommitOne(kernel(), req, GHOST_COMMIT_F_BLOCK);
  txns_.Count(result);
  SpinLockHolder lock(&c.lock);
  if (result == GHOST_TXN_COMPLETE) {
    c.current = &t;
    t.state = TaskState::kRunning;
    t.cpu = c.cpu;
    slices_.Begin(t, options_.clock());
    return;
  }
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
// and may run here.
FifoTask* PerCpuFifoScheduler::Steal(Cpu& thief, int64_t queued_before) {
  const size_t n = cpus_.size();
  const size_t me = index_[thief.cpu];
  for (size_t i = 1; i < n; ++i) {
    Cpu& victim = *cpus_[(me + i) % n];
    if (victim.nr_queued.load(std::memory_order_relaxed) == 0) continue;
    // 0: empty. Every queued thread has a time, so kAnyTime takes any.
    const int64_t head = victim.head_since.load(std::memory_order_relaxed);
    if (head == 0 || head >= queued_before) continue;
    if (!victim.lock.TryLock()) continue;
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
    if (t != nullptr) {
      steals_.fetch_add(1, std::memory_order_relaxed);
      return t;
    }
  }
  return nullptr;
}

// `busy` has threads waiting: wake one idle agent to steal them. With
// none idle, every CPU's ticks wake its agent from now on, so that the
// waiting threads get a CPU when a slice ends, wherever that is.
void PerCpuFifoScheduler::WakeHelper(Cpu& busy) {
  for (auto& c : cpus_) {
    if (c.get() == &busy) continue;
    if (c->idle.exchange(false, std::memory_order_relaxed)) {
      (void)kernel().PingAgent(c->cpu);
      return;
    }
  }
  for (auto& c : cpus_) TicksWake(*c);
}

}  // namespace ghost::fifo
