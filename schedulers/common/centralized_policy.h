// CentralizedPolicy<T>: what every centralized policy shares. One global
// agent, on one enclave CPU, reads the enclave's only queue and decides for
// every other CPU, committing all of a round's decisions in one
// GHOST_OP_COMMIT (one round of IPIs however many CPUs it changes). The
// other CPUs have agents too, asleep.
//
// The role moves: when other work wants the global agent's CPU (ABI 2:
// GHOST_SW_F_CPU_WANTED, or a CPU_BUSY message) it goes to the nearest
// available CPU (an SMT sibling, else one on the same L3, else the same
// node: Topology::Closest), whose agent is pinged and takes over; the old
// CPU becomes one the policy schedules.
//
// The global agent spins while there is work and blocks after `idle_spin`
// without any (the queue wakes it), unless MaySleep() says something
// other than a message may need it (a slice to end, a hint to read).
//
// A policy derives from it with its task type T (derived from
// fifo::FifoTask: refused CPUs, latch time) and writes only its decision:
//
//   class MyPolicy : public CentralizedPolicy<MyTask> {
//     void Decide(int64_t now) override {      // for each CPU to change:
//       Place(cpu, next);                      // nullptr: run nothing
//     }
//     void Requeue(MyTask& t, bool front) override;  // a failed commit
//   };
//
// Commit results: COMPLETE latches (current, latch time); a failed one is
// judged by fifo::OnCommitFailed (schedulers/fifo/common/commit_outcome.h)
// and handed back through Requeue() unless a message will bring it back.
#ifndef GHOST_SCHEDULERS_COMMON_CENTRALIZED_POLICY_H_
#define GHOST_SCHEDULERS_COMMON_CENTRALIZED_POLICY_H_

#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "lib/agent/channel.h"
#include "lib/agent/kernel_interface.h"
#include "lib/agent/policy.h"
#include "lib/agent/txn.h"
#include "lib/util/topology.h"
#include "schedulers/fifo/common/commit_outcome.h"

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
    absl::Duration idle_spin = absl::Microseconds(200);
    const Topology* topology = nullptr;  // for moving the role
    uint32_t queue_size = 4096;
    std::function<int64_t()> clock;  // CLOCK_MONOTONIC ns; tests fake it
  };

  CentralizedPolicy(KernelInterface& kernel, const std::vector<int>& cpus,
                    T blank, Options options)
      : PolicyFor<T>(kernel, std::move(blank)),
        options_(std::move(options)),
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

  // Policy: the enclave's default queue, waking the global CPU.
  absl::Status Init() override {
    absl::StatusOr<Channel*> ch =
        this->kernel().CreateChannel(options_.queue_size, true);
    if (!ch.ok()) return ch.status();
    channel_ = *ch;
    const int wake[] = {global_cpu()};
    return this->kernel().SetChannelWakeup(*channel_, wake);
  }

  // AgentLoop.
  void AgentAttached(int cpu, uint32_t sw_index) override {
    CpuOf(cpu)->sw_index = sw_index;
  }
  void AllAttached() override { this->Discover(global_cpu(), *channel_); }

  void Round(int cpu) final {
    Cpu& self = *CpuOf(cpu);
    const uint32_t barrier = this->kernel().words().Read(self.sw_index).barrier;
    if (cpu != global_cpu()) {
      // Not the global agent: sleep until pinged (the role may come here).
      (void)this->kernel().BlockAgent(barrier);
      return;
    }
    ghost_msg msg;
    bool work = false;
    while (channel_->Pop(&msg)) {
      this->Dispatch(msg, cpu);
      work = true;
    }
    if (channel_->TakeOverflow()) this->Resync(-1, true, nullptr);
    if (CpuWanted(self)) {
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
    if (work) {
      last_work_ns_ = now;
    } else if (now - last_work_ns_ >
                   absl::ToInt64Nanoseconds(options_.idle_spin) &&
               MaySleep()) {
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

 protected:
  struct Cpu {
    int cpu = -1;
    uint32_t sw_index = 0;
    T* current = nullptr;     // latched or running, as far as we know
    bool available = true;    // false while a higher class holds it
    T* sliced_out = nullptr;  // displaced by our commit, PREEMPTED due
  };

  // The round's decisions: Place() each. `now` is the policy's clock.
  virtual void Decide(int64_t now) = 0;
  // A task whose commit failed and about which no message will come.
  virtual void Requeue(T& t, bool front) = 0;
  // Work before deciding (e.g. reading hints); whether there was any.
  virtual bool BeforeDecide(int64_t now) { return false; }
  // Our commit took `t`'s CPU (its PREEMPTED is due): queue it again.
  virtual void Displaced(T& t) { Requeue(t, /*front=*/false); }
  // Whether nothing but a message can give the policy work, so the idle
  // global agent may sleep until one comes. A policy that must act on
  // time (a slice) or on shared memory (hints) keeps spinning meanwhile.
  virtual bool MaySleep() const { return true; }

  // Decides that `c` runs `t` (nullptr: nothing). At most once per CPU
  // and round.
  void Place(Cpu& c, T* t) {
    placed_[batch_.size()] = t;
    batch_.Add({.cpu = c.cpu,
                .gtid = t != nullptr ? t->gtid : GHOST_GTID_NONE,
                .task_barrier = t != nullptr ? t->seq : 0});
  }

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
    return cpu >= 0 && cpu < static_cast<int>(index_.size()) &&
                   index_[cpu] >= 0
               ? &cpus_[index_[cpu]]
               : nullptr;
  }
  std::vector<Cpu>& cpus() { return cpus_; }
  const std::vector<Cpu>& cpus() const { return cpus_; }

  void CpuBusy(const ghost_msg& msg, int) override {
    if (Cpu* c = CpuOf(msg.cpu)) c->available = false;
    if (msg.cpu == global_cpu()) HandOffGlobalRole();
  }
  void CpuAvailable(const ghost_msg& msg, int) override {
    if (Cpu* c = CpuOf(msg.cpu)) c->available = true;
  }

 private:
  bool CpuWanted(const Cpu& self) {
#ifdef GHOST_SW_F_CPU_WANTED
    return this->kernel().words().Read(self.sw_index).flags &
           GHOST_SW_F_CPU_WANTED;
#else
    (void)self;
    return false;  // ABI 1 does not say; the role stays
#endif
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
        // The thread it displaced gets PREEMPTED: our doing. It is queued
        // now rather than on that message: a thread must not depend on
        // one message to be scheduled again (a displaced thread that
        // stays runnable without a PREEMPTED was seen lost, see
        // docs/shinjuku.md). If it blocked meanwhile, its commit fails
        // NOT_RUNNABLE and its WAKEUP queues it.
        T* displaced = c.current != t ? c.current : nullptr;
        if (displaced != nullptr) {
          c.sliced_out = displaced;
          c.current = nullptr;
          Displaced(*displaced);
        }
        c.current = t;
        if (t == nullptr) continue;
        LeaveCpus(*t);
        c.current = t;
        t->state = TaskState::kRunning;
        t->cpu = c.cpu;
        t->run_start_ns = now;
        continue;
      }
      if (t == nullptr) continue;  // the CPU keeps what it ran
      switch (fifo::OnCommitFailed(*t, c.cpu, result)) {
        case fifo::Retry::kFront:
          Requeue(*t, true);
          break;
        case fifo::Retry::kBack:
          Requeue(*t, false);
          break;
        case fifo::Retry::kDrop:
          break;
      }
    }
  }

  std::vector<Cpu> cpus_;
  std::vector<int> index_;
  Options options_;
  Channel* channel_ = nullptr;
  TxnBatch batch_;
  std::vector<T*> placed_;  // by batch position
  std::atomic<int> global_;
  int64_t last_work_ns_ = 0;
};

}  // namespace ghost

#endif  // GHOST_SCHEDULERS_COMMON_CENTRALIZED_POLICY_H_
