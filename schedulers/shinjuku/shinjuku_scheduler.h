// ShinjukuScheduler: a centralized, spinning policy for latency-critical
// work with a preemption slice and QoS classes, after the Shinjuku system
// (NSDI '19): one global agent (schedulers/common/centralized_policy.h)
// decides for every other CPU each round and commits all decisions in
// one call.
//
//   - One FIFO per QoS class (0 first, 3 last); strict priority between
//     classes: a waiting thread of a better class takes the CPU of the
//     worst running one at once.
//   - A thread that ran `slice` while a thread of its class (or better)
//     waits is preempted and goes to the back of its class.
//   - Applications say per thread, in a hint region (lib/hints), its class
//     and whether it is idle. A running thread that turns idle loses its
//     CPU at once (the next thread, or "run nothing"); an idle thread is
//     parked and runs only when its hint says runnable again, or, after
//     `park_limit`, on a CPU nothing else wants (so that an application
//     that never says so cannot trip the enclave's watchdog).
//   - A thread without a hint, or whose region was given up (malformed,
//     hostile, its process gone), is in class kDefaultQos: plain FIFO.
//   - As fifo_centralized (the shared CentralizedPolicy): when every other
//     CPU is busy and threads still wait, the global agent lends its own
//     CPU to the first waiting thread, and times the slices with its
//     CPU's ticks meanwhile.
//
// Counters (`ghostctl agent status`): see docs/shinjuku.md.
#ifndef GHOST_SCHEDULERS_SHINJUKU_SHINJUKU_SCHEDULER_H_
#define GHOST_SCHEDULERS_SHINJUKU_SHINJUKU_SCHEDULER_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/agent/gtid_index.h"
#include "lib/agent/kernel_interface.h"
#include "lib/agent/policy.h"
#include "lib/agent/run_queue.h"
#include "lib/hints/hint_region_layout.h"
#include "lib/hints/hint_region_set.h"
#include "lib/util/topology.h"
#include "schedulers/common/centralized_policy.h"
#include "schedulers/shinjuku/shinjuku_task.h"

namespace ghost::shinjuku {

class ShinjukuScheduler final : public CentralizedPolicy<ShinjukuTask> {
 public:
  // The slice when --slice is not given: see docs/shinjuku.md for why.
  static constexpr absl::Duration kDefaultSlice = absl::Microseconds(500);

  struct Options {
    // Zero: a thread runs until it blocks, yields or is idle in its hint.
    absl::Duration slice = kDefaultSlice;
    absl::Duration park_limit = absl::Seconds(1);
    absl::Duration idle_spin = absl::Microseconds(200);
    // As fifo_centralized's: how long the first waiting thread waits, every
    // other CPU busy, before the global CPU is lent (infinite: never).
    absl::Duration lend_delay = absl::ZeroDuration();
    absl::Duration hint_settle_limit = absl::Seconds(1);
    const Topology* topology = nullptr;
    uint32_t queue_size = 4096;
    std::function<int64_t()> clock;  // CLOCK_MONOTONIC ns; tests fake it
  };

  ShinjukuScheduler(KernelInterface& kernel, std::vector<int> cpus,
                    Options options);

  // `ghost_agent --policy=shinjuku`: --slice (unset: kDefaultSlice; 0: no
  // slices).
  static absl::StatusOr<std::unique_ptr<Policy>> Make(KernelInterface& kernel,
                                                      const PolicyArgs& args);

  // Policy.
  absl::Status AcceptHints(Fd fd, pid_t pid) override {
    return regions_.Offer(std::move(fd), pid);
  }
  void AddCounters(Counters& out) const override;

  size_t queued(uint32_t qos) const { return rq_[qos].size(); }
  size_t parked() const { return parked_.size(); }

  struct Stats {
    std::atomic<uint64_t> slice_preemptions{0};
    std::atomic<uint64_t> class_preemptions{0};
    std::atomic<uint64_t> idle_takebacks{0};  // CPUs taken from idle threads
    std::atomic<uint64_t> idle_commits{0};    // of them, "run nothing"
    std::atomic<uint64_t> parks{0};  // threads parked for their idle hint
    std::atomic<uint64_t> park_expiries{0};    // parked threads run anyway
    std::atomic<uint64_t> hints{0};            // hints applied to a thread
    std::atomic<uint64_t> hints_unmatched{0};  // for no thread of ours yet
  };
  const Stats& shinjuku_stats() const { return stats_; }

 protected:
  // Messages: CentralizedPolicy's handling, and where Shinjuku differs.
  // NEW, discovery and DEAD/DEPARTED also keep the gtid index that hints
  // are matched with.
  void TaskNew(ShinjukuTask& t, const ghost_msg& msg, int agent_cpu) override;
  void TaskDiscovered(ShinjukuTask& t, TaskState before,
                      int agent_cpu) override;
  void TaskGone(ShinjukuTask& t, const ghost_msg* msg, int agent_cpu) override;
  // Displaced() may have queued it already: a BLOCKED takes it off again.
  void TaskBlocked(ShinjukuTask& t, const ghost_msg& msg,
                   int agent_cpu) override;
  // A PREEMPTED our own commit caused was handled by Displaced().
  void TaskPreempted(ShinjukuTask& t, const ghost_msg& msg,
                     int agent_cpu) override;

  // CentralizedPolicy.
  bool BeforeDecide(int64_t now) override;
  void Decide(int64_t now) override;
  // Parks a thread idle by its hint instead of queueing it.
  void Enqueue(ShinjukuTask& t, bool front) override;
  void Dequeue(ShinjukuTask& t) override;
  bool MaySleep() const override;
  const ShinjukuTask* Head() const override;
  ShinjukuTask* PopFor(int cpu) override { return PopBest(cpu, kLevels - 1); }
  // Queued at once (a latch that has not run gets no PREEMPTED): to the
  // front of its class if a better class took its CPU, else, its slice
  // over, to the back.
  void Displaced(ShinjukuTask& t) override;
  // A lent thread keeps the global CPU against a worse class, and against
  // its own once its slice is over; never against a better one, nor while
  // idle in its hint.
  bool KeepsLentCpu(Cpu& self, int64_t now) override;

 private:
  using Queue = RunQueue<fifo::FifoTask>;

  static ShinjukuTask* Of(fifo::FifoTask* t) {
    return static_cast<ShinjukuTask*>(t);
  }
  void Known(ShinjukuTask& t);
  // The first waiting thread allowed on `cpu` of a class better than or
  // equal to `worst` (taken off its queue), or nullptr.
  ShinjukuTask* PopBest(int cpu, uint32_t worst);
  // The best class with a thread waiting (kLevels: none).
  uint32_t BestWaiting() const;
  void LeftCpuIdle(const ShinjukuTask& t);
  void ApplyHint(int slot, const Hint& h);
  void ForgetRegion(int slot);
  void FillFreeCpus(int64_t now);
  void PreemptForWaiters(int64_t now);
  void RunParked(int64_t now);

  static constexpr uint32_t kLevels = GHOST_HINT_QOS_LEVELS;

  const int64_t park_limit_ns_;
  std::array<Queue, kLevels> rq_;
  Queue parked_;  // idle by their hint, runnable as far as the kernel knows
  GtidIndex by_gtid_;
  HintRegionSet regions_;
  int64_t now_ = 0;  // the round's clock, for parking
  // Hints named threads we did not know; rescan when new ones come.
  bool unmatched_ = false;
  bool born_ = false;
  std::vector<uint8_t> placed_cpu_;  // per CPU index, this round
  Stats stats_;
};

}  // namespace ghost::shinjuku

#endif  // GHOST_SCHEDULERS_SHINJUKU_SHINJUKU_SCHEDULER_H_
