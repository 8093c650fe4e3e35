// CentralizedPolicy<T>: what every centralized policy shares. One global
// agent, on one enclave CPU, reads the enclave's only queue and decides for
// every other CPU, committing all of a round's decisions in one
// GHOST_OP_COMMIT (one round of IPIs however many CPUs it changes). The
// other CPUs have agents too, asleep.
//
// The role moves when a higher class wants the global agent's CPU (ABI 2:
// GHOST_SW_F_CPU_WANTED): to the nearest available CPU (an SMT sibling,
// else one on the same L3, else the same node: Topology::Closest), whose
// agent is pinged and takes over; the old CPU becomes one the policy
// schedules. A CPU_BUSY of the global CPU moves no role: it comes when a
// task got the CPU while the agent slept or lent it, and the agent, once
// awake, outranks that task (then CPU_WANTED moves the role).
//
// Time slices (Options::slice, zero: none): a thread that has had its
// slice while others wait may be displaced (SliceEnds()). The global
// agent times slices with its own clock, so it never sleeps while threads
// wait: it spins, or, when every other CPU is busy and threads still
// wait, it lends its own CPU to the first waiting thread (a commit to
// itself that blocks) and is woken by its CPU's ticks (CPU_TICK on its
// queue, every tick while that thread runs), by any message, or by the
// thread leaving. The ticks of the other CPUs are not needed: their CPU
// messages go to a queue nobody waits for (the sink).
//
// Without threads waiting, the global agent blocks after `idle_spin`
// without work (the queue wakes it), unless MaySleep() says something
// other than a message may need it (a hint to read).
//
// A policy derives from it with its task type T (derived from
// fifo::FifoTask: refused CPUs, latch and turn times) and writes its
// decision and its queue:
//
//   class MyPolicy : public CentralizedPolicy<MyTask> {
//     void Decide(int64_t now) override {      // for each CPU to change:
//       Place(cpu, next);                      // nullptr: run nothing
//     }
//     void Enqueue(MyTask& t, bool front) override;  // runnable: queue it
//     void Dequeue(MyTask& t) override;        // off every queue
//     const MyTask* Head() const override;     // the first waiting thread
//     MyTask* PopFor(int cpu) override;        // take one for `cpu`
//   };
//
// Messages: the thread callbacks (NEW, WAKEUP, BLOCKED, YIELD, PREEMPTED,
// DEAD/DEPARTED, discovery, AFFINITY_CHANGED) are handled here, through
// Enqueue() and Dequeue(), the same way for every centralized policy. A
// policy overrides one only where it really differs (keeps more per
// thread, or queues a preempted thread otherwise) and calls this one for
// the rest.
//
// Commit results: COMPLETE latches (current, latch time, a turn begins); a
// failed one is judged by fifo::OnCommitFailed
// (schedulers/fifo/common/commit_outcome.h) and handed back through
// Enqueue() unless a message will bring it back.
#ifndef GHOST_SCHEDULERS_COMMON_CENTRALIZED_POLICY_H_
#define GHOST_SCHEDULERS_COMMON_CENTRALIZED_POLICY_H_

#include <errno.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "lib/agent/channel.h"
#include "lib/agent/kernel_interface.h"
#include "lib/agent/policy.h"
#include "lib/agent/task.h"
#include "lib/agent/txn.h"
#include "lib/util/topology.h"
#include "schedulers/fifo/common/commit_outcome.h"
#include "schedulers/fifo/common/time_slice.h"

namespace ghost {

// CLOCK_MONOTONIC in ns: the default clock of a centralized policy.
inline int64_t MonotonicNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

template <typename T>
class CentralizedPolicy : public PolicyFor<T> {
 public:
  struct Options {
    // How long a thread runs while others wait (zero: until it blocks).
    absl::Duration slice = absl::ZeroDuration();
    absl::Duration idle_spin = absl::Microseconds(200);
    // With slices: how long the first waiting thread must have waited,
    // with every other CPU busy, before the global agent lends it its own
    // CPU (infinite: never lend).
    absl::Duration lend_delay = absl::ZeroDuration();
    // For moving the role (and a policy's own placement).
    const Topology* topology = nullptr;
    uint32_t queue_size = 4096;
    std::function<int64_t()> clock;  // CLOCK_MONOTONIC ns; tests fake it
  };

  CentralizedPolicy(KernelInterface& kernel, const std::vector<int>& cpus,
                    T blank, Options options)
      : PolicyFor<T>(kernel, std::move(blank), cpus),
        options_(std::move(options)),
        slices_(options_.slice),
        batch_(kernel, static_cast<int>(cpus.size())),
        placed_(cpus.size(), nullptr),
        global_(cpus.front()) {
    if (!options_.clock) options_.clock = MonotonicNs;
    const int max = *std::max_element(cpus.begin(), cpus.end());
    index_.assign(max + 1, -1);
    for (size_t i = 0; i < cpus.size(); ++i) {
      index_[cpus[i]] = static_cast<int>(i);
      cpus_.push_back(Cpu{.cpu = cpus[i]});
    }
  }

  // Policy: the enclave's default queue, waking the global CPU; with
  // slices, the global CPU's ticks on it and a sink for the others'.
  absl::Status Init() override {
    absl::StatusOr<Channel*> ch =
        this->kernel().CreateChannel(options_.queue_size, true);
    if (!ch.ok()) return ch.status();
    channel_ = *ch;
    const int wake[] = {global_cpu()};
    if (absl::Status s = this->kernel().SetChannelWakeup(*channel_, wake);
        !s.ok()) {
      return s;
    }
    if (!slices_.enabled()) return absl::OkStatus();
    // A CPU without a queue of its own sends no CPU messages; one that was
    // global and is not any more sends them to the sink (RouteTicks).
    ch = this->kernel().CreateChannel(64, /*make_default=*/false);
    if (!ch.ok()) return ch.status();
    cpu_sink_ = *ch;
    if (const int err = this->kernel().SetCpuChannel(global_cpu(), *channel_)) {
      return absl::ErrnoToStatus(
          err,
          absl::StrCat("CPU messages of CPU ", global_cpu(), " to a queue"));
    }
    return this->kernel().EnableTicks();
  }

  // AgentLoop.
  void AllAttached() override { this->Discover(global_cpu(), *channel_); }

  void Round(int cpu) final {
    Cpu& self = *CpuOf(cpu);
    const uint32_t barrier = this->AgentBarrier(cpu);
    if (cpu != global_cpu()) {
      // Not the global agent: sleep until pinged (the role may come here).
      (void)this->kernel().BlockAgent(barrier);
      return;
    }
    ghost_msg msg;
    bool work = false;
    // Ticks of former global CPUs: not needed.
    while (cpu_sink_ != nullptr && cpu_sink_->Pop(&msg)) {
    }
    // The queue has one reader: once the role moved (a callback handed it
    // off), the next message is the new global agent's.
    while (cpu == global_cpu() && channel_->Pop(&msg)) {
      this->Dispatch(msg, cpu);
      work = true;
    }
    if (cpu != global_cpu()) return;
    if (channel_->TakeOverflow()) this->Resync(-1, true, nullptr);
    if (CpuWanted(cpu)) {
      HandOffGlobalRole();
      return;
    }
    const int64_t now = options_.clock();
    if (BeforeDecide(now)) work = true;
    batch_.Clear();
    Decide(now);
    if (!batch_.empty()) {
      CommitPlaced(now);
      work = true;
    }
    // Every other CPU is busy and threads still wait: run one here too.
    if (LendGlobalCpu(self, barrier, now)) return;
    if (work) {
      last_work_ns_ = now;
    } else if (MaySleep() && now - last_work_ns_ >
                                 absl::ToInt64Nanoseconds(options_.idle_spin)) {
      // Idle for a while: sleep until a message (the queue wakes us).
      (void)this->kernel().BlockAgent(barrier);
    }
  }

  // Moves the global role to the available CPU nearest the current one
  // and wakes its agent. Returns the new global CPU (-1 if none).
  int HandOffGlobalRole() {
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
    RouteTicks(from, to);
    const int wake[] = {to};
    (void)this->kernel().SetChannelWakeup(*channel_, wake);
    // The new global agent reads our state after this (acquire/release).
    global_.store(to, std::memory_order_release);
    (void)this->kernel().PingAgent(to);
    return to;
  }

  int global_cpu() const { return global_.load(std::memory_order_acquire); }

  // The thread latched on `cpu` as the agent knows it (0: none).
  uint64_t current_on(int cpu) const {
    const int i = cpu < static_cast<int>(index_.size()) ? index_[cpu] : -1;
    return i >= 0 && cpus_[i].current != nullptr ? cpus_[i].current->gtid : 0;
  }
  // Threads sent to the back because their slice was over (EndSlice()).
  uint64_t slices_ended() const { return slices_ended_; }
  // Times the global agent ran a thread on its own CPU.
  uint64_t lent() const { return lent_; }

 protected:
  struct Cpu {
    int cpu = -1;
    T* current = nullptr;     // latched or running, as far as we know
    bool available = true;    // false while a higher class holds it
    T* sliced_out = nullptr;  // displaced by our commit, PREEMPTED due
  };

  // The round's decisions: Place() each. `now` is the policy's clock.
  virtual void Decide(int64_t now) = 0;
  // Queues runnable `t`, first (`front`) or last in its queue; nothing if
  // it is queued already. Called for the messages that make a thread
  // runnable, and for a task whose commit failed and about which no
  // message will come.
  virtual void Enqueue(T& t, bool front) = 0;
  // Takes `t` off every queue of the policy (nothing if it is on none).
  virtual void Dequeue(T& t) = 0;
  // The thread that waits first in the policy's order (nullptr: none
  // waits for a CPU). Its queued_ns times the lend delay.
  virtual const T* Head() const = 0;
  // Takes the first waiting thread that may run on `cpu` (nullptr: none).
  virtual T* PopFor(int cpu) = 0;
  // Work before deciding (e.g. reading hints); whether there was any.
  virtual bool BeforeDecide(int64_t now) { return false; }
  // Our commit took `t`'s CPU. By default its PREEMPTED brings it back; a
  // policy that displaces latches that may not have run yet (they get no
  // PREEMPTED, docs/abi.md) queues it here instead.
  virtual void Displaced(T& t) {}
  // Whether the thread lent the global CPU (`self.current`) keeps it while
  // Head() waits: by default until its slice ends. A policy with classes
  // lets a better waiting thread take it at once.
  virtual bool KeepsLentCpu(Cpu& self, int64_t now) {
    return !SliceEnds(self, now);
  }
  // Whether nothing but a message can give the policy work, so the idle
  // global agent may sleep until one comes. With slices and threads
  // waiting, only the clock says when to act.
  virtual bool MaySleep() const {
    return !slices_.enabled() || Head() == nullptr;
  }

  // Decides that `c` runs `t` (nullptr: nothing). At most once per CPU
  // and round.
  void Place(Cpu& c, T* t) {
    placed_[batch_.size()] = t;
    batch_.Add({.cpu = c.cpu,
                .gtid = t != nullptr ? t->gtid : GHOST_GTID_NONE,
                .task_barrier = t != nullptr ? t->seq : 0});
  }

  // Whether the thread on `c` has had its slice and may be displaced.
  // Only a thread that is on the CPU: a latch that has not run yet (the
  // CPU is held by a higher class, or has not rescheduled) is replaced
  // without a PREEMPTED (docs/abi.md), and a policy that waits for that
  // message would lose the thread, runnable, until the watchdog.
  bool SliceEnds(const Cpu& c, int64_t now) {
    const T& cur = *c.current;
    if (!slices_.Over(cur, now)) return false;
    const StatusWord w = this->kernel().words().Read(cur.sw_index);
    return w.gtid == cur.gtid && (w.flags & GHOST_SW_F_ONCPU);
  }

  // `t`'s turn is over: it goes to the back.
  void EndSlice(T& t) {
    slices_.End(t);
    ++slices_ended_;
  }
  const fifo::TimeSlice& slices() const { return slices_; }
  int64_t Now() const { return options_.clock(); }
  const Options& options() const { return options_; }

  // `t` left every CPU we believed it on.
  void LeaveCpus(T& t) {
    for (Cpu& c : cpus_) {
      if (c.current == &t) c.current = nullptr;
    }
  }

  // Whether `t` was displaced by our own commit (then its PREEMPTED is
  // ours, not a higher class's); forgets it.
  bool TakeSlicedOut(T& t) {
    bool ours = false;
    for (Cpu& c : cpus_) {
      if (c.sliced_out == &t) {
        c.sliced_out = nullptr;
        ours = true;
      }
    }
    return ours;
  }

  // Whether a CPU's agent latched `t`.
  bool LatchedAnywhere(const T& t) const {
    for (const Cpu& c : cpus_) {
      if (c.current == &t) return true;
    }
    return false;
  }

  Cpu* CpuOf(int cpu) {
    return cpu >= 0 && cpu < static_cast<int>(index_.size()) && index_[cpu] >= 0
               ? &cpus_[index_[cpu]]
               : nullptr;
  }
  std::vector<Cpu>& cpus() { return cpus_; }
  const std::vector<Cpu>& cpus() const { return cpus_; }

  // SchedulerFor: a thread's messages, as every centralized policy
  // handles them (see the top of this file). Each keeps the agent's view
  // of the CPUs (current, sliced_out) and of the thread's turn right, and
  // queues through Enqueue()/Dequeue().
  void TaskNew(T& t, const ghost_msg&, int) override {
    if (t.state == TaskState::kRunnable) Enqueue(t, false);
  }
  void TaskWakeup(T& t, const ghost_msg&, int) override { Enqueue(t, false); }
  void TaskBlocked(T& t, const ghost_msg&, int) override {
    LeaveCpus(t);
    slices_.End(t);
  }
  void TaskYield(T& t, const ghost_msg&, int) override {
    LeaveCpus(t);
    slices_.End(t);
    Enqueue(t, false);
  }
  void TaskPreempted(T& t, const ghost_msg&, int) override {
    LeaveCpus(t);
    // A thread that had its slice (we took the CPU for the next one) waits
    // its turn; one a higher class took the CPU from resumes first.
    if (slices_.Over(t, Now())) {
      EndSlice(t);
      Enqueue(t, /*front=*/false);
      return;
    }
    Enqueue(t, /*front=*/true);
  }
  void TaskGone(T& t, const ghost_msg*, int) override {
    LeaveCpus(t);
    TakeSlicedOut(t);
    slices_.End(t);
    Dequeue(t);
  }
  void TaskDiscovered(T& t, TaskState, int) override {
    slices_.End(t);
    // "On a CPU" where we did not latch it: queue it anyway. If it really
    // runs elsewhere the commit fails TARGET_ONCPU and its leaving will
    // tell us; if the word was behind, the commit runs it.
    if (t.state == TaskState::kRunnable ||
        (t.state == TaskState::kRunning && !LatchedAnywhere(t))) {
      LeaveCpus(t);
      Enqueue(t, false);
    } else {
      Dequeue(t);
      LeaveCpus(t);
    }
  }
  // The CPUs where a commit was refused CPU_NOT_ALLOWED may be allowed now.
  void TaskAffinityChanged(T& t, const ghost_msg&, int) override {
    t.not_allowed.Clear();
  }

  // A higher class took `cpu`. The global CPU's own CPU_BUSY moves no
  // role (see the top of this file).
  void CpuBusy(const ghost_msg& msg, int) override {
    if (Cpu* c = CpuOf(msg.cpu)) c->available = false;
  }
  void CpuAvailable(const ghost_msg& msg, int) override {
    if (Cpu* c = CpuOf(msg.cpu)) c->available = true;
  }

 private:
  bool CpuWanted(int cpu) {
#ifdef GHOST_SW_F_CPU_WANTED
    return this->AgentWord(cpu).flags & GHOST_SW_F_CPU_WANTED;
#else
    (void)cpu;
    return false;  // ABI 1 does not say; the role stays
#endif
  }

  // `c` now runs `t` (a commit completed at `now`).
  void Latched(Cpu& c, T* t, int64_t now) {
    T* displaced = c.current != t ? c.current : nullptr;
    if (displaced != nullptr) {
      c.sliced_out = displaced;
      c.current = nullptr;
      Displaced(*displaced);
    }
    c.current = nullptr;
    if (t == nullptr) return;
    LeaveCpus(*t);
    c.current = t;
    t->state = TaskState::kRunning;
    t->cpu = c.cpu;
    t->run_start_ns = now;
    slices_.Begin(*t, now);
  }

  void Failed(T& t, int cpu, int32_t result) {
    switch (fifo::OnCommitFailed(t, cpu, result)) {
      case fifo::Retry::kFront:
        Enqueue(t, true);
        break;
      case fifo::Retry::kBack:
        Enqueue(t, false);
        break;
      case fifo::Retry::kDrop:
        break;
    }
  }

  void CommitPlaced(int64_t now) {
    this->txns_.calls.fetch_add(1, std::memory_order_relaxed);
    (void)batch_.Commit();
    for (int i = 0; i < batch_.size(); ++i) {
      T* t = placed_[i];
      Cpu& c = *CpuOf(batch_.request(i).cpu);
      const int32_t result = batch_.result(i);
      this->txns_.Count(result);
      if (result == GHOST_TXN_COMPLETE) {
        Latched(c, t, now);
      } else if (t != nullptr) {  // else the CPU keeps what it ran
        Failed(*t, c.cpu, result);
      }
    }
  }

  // After Decide() filled every CPU it could: if threads still wait (the
  // first for lend_delay at least), the global agent runs the first one
  // allowed here on its own CPU and blocks (one commit with
  // GHOST_COMMIT_F_BLOCK). It wakes at the next tick of its CPU, at any
  // message, or when the thread leaves the CPU; waking, it takes the CPU
  // back (the thread is PREEMPTED and resumes its turn, here or
  // elsewhere, in the next rounds). Returns whether it blocked (and has
  // been woken since).
  //
  // A thread latched on the global CPU (`self.current`) while its agent
  // runs a round has not run since: the agent's block was refused (a
  // message came between the commit and the block), or the role came to a
  // CPU where the thread was latched. It runs only once the agent blocks,
  // and it is neither queued nor running, so an agent that spun on would
  // leave it for the enclave's watchdog: unless another thread takes the
  // CPU from it now, the agent blocks.
  bool LendGlobalCpu(Cpu& self, uint32_t barrier, int64_t now) {
    const bool holds = self.current != nullptr;
    // What this round's commits displaced has its PREEMPTED queued: read
    // first, so a lend to one of them is not refused as stale.
    if (holds && !ReadOwnQueue(self)) return true;
    if (holds && !GivesLentCpuUp(self, now)) return BlockForLatch(self);
    T* t = LendCandidate(self, now);
    if (t == nullptr) return holds ? BlockForLatch(self) : false;
    const RunRequest req = {.cpu = self.cpu,
                            .gtid = t->gtid,
                            .task_barrier = t->seq,
                            .agent_barrier = barrier,
                            .run_flags = GHOST_RUN_F_WAKE_ON_BLOCK |
                                         GHOST_RUN_F_WAKE_ON_YIELD |
                                         GHOST_RUN_F_WAKE_ON_PREEMPT};
    this->txns_.calls.fetch_add(1, std::memory_order_relaxed);
    const int32_t result = CommitOne(this->kernel(), req, GHOST_COMMIT_F_BLOCK);
    this->txns_.Count(result);
    if (result == GHOST_TXN_COMPLETE) {
      ++lent_;
      Latched(self, t, now);
      last_work_ns_ = now;
      return true;
    }
    Failed(*t, self.cpu, result);
    return holds ? BlockForLatch(self) : false;
  }

  // Whether a thread waits that should take the global CPU from the one
  // latched there (by default: once that one's slice is over).
  bool GivesLentCpuUp(Cpu& self, int64_t now) {
    return cpu_sink_ != nullptr && self.available && Head() != nullptr &&
           !KeepsLentCpu(self, now);
  }

  // The first waiting thread to lend the global CPU to, taken off its
  // queue (nullptr: none, or not yet).
  T* LendCandidate(Cpu& self, int64_t now) {
    if (cpu_sink_ == nullptr || !self.available) return nullptr;
    const T* head = Head();
    if (head == nullptr || options_.lend_delay == absl::InfiniteDuration() ||
        now - head->queued_ns < absl::ToInt64Nanoseconds(options_.lend_delay)) {
      return nullptr;
    }
    return PopFor(self.cpu);
  }

  // Blocks so the thread latched on the global CPU runs. A block is
  // refused (ESTALE) while messages are unread, and this round's own
  // commits queued some (the PREEMPTED of the threads they displaced): a
  // round that only tried once would try again after another round of
  // commits, and so on, while the thread never ran (seen with 1000 threads).
  // So it reads what came, without deciding anything new, and tries again:
  // a few times, so that a stream of messages cannot keep it here.
  bool BlockForLatch(Cpu& self) {
    for (int attempt = 0; attempt < kBlockAttempts; ++attempt) {
      const uint32_t barrier = this->AgentBarrier(self.cpu);
      if (!ReadOwnQueue(self)) return true;
      if (this->kernel().BlockAgent(barrier) != ESTALE) return true;
    }
    return true;
  }

  // Handles the messages queued for the global agent, deciding nothing.
  // Whether the global CPU still holds a latch for its agent to block for
  // (false: the role moved, or the thread left, e.g. it died: a round
  // decides).
  bool ReadOwnQueue(Cpu& self) {
    ghost_msg msg;
    while (self.cpu == global_cpu() && channel_->Pop(&msg)) {
      this->Dispatch(msg, self.cpu);
    }
    return self.cpu == global_cpu() && self.current != nullptr;
  }

  static constexpr int kBlockAttempts = 4;

  // The global role moves from `from` to `to`: so do the ticks that time
  // the slices while it lends its CPU. `from` is then an ordinary CPU
  // whose CPU messages nobody reads: its CPU_AVAILABLE would never come,
  // so it counts as available from now on (a latch there waits behind a
  // higher class anyway), as every CPU did before the global CPU's
  // messages were read.
  void RouteTicks(int from, int to) {
    if (cpu_sink_ == nullptr) return;
    (void)this->kernel().SetCpuChannel(to, *channel_);
    (void)this->kernel().SetCpuChannel(from, *cpu_sink_);
    if (Cpu* c = CpuOf(from)) c->available = true;
  }

  std::vector<Cpu> cpus_;
  std::vector<int> index_;
  Options options_;
  fifo::TimeSlice slices_;
  uint64_t slices_ended_ = 0;
  uint64_t lent_ = 0;
  Channel* channel_ = nullptr;
  // CPU messages of the CPUs that are not the global one: none of them
  // wakes anybody (only the global CPU's ticks are needed).
  Channel* cpu_sink_ = nullptr;
  TxnBatch batch_;
  std::vector<T*> placed_;  // by batch position
  std::atomic<int> global_;
  int64_t last_work_ns_ = 0;
};

}  // namespace ghost

#endif  // GHOST_SCHEDULERS_COMMON_CENTRALIZED_POLICY_H_
