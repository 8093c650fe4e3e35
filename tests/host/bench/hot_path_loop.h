// The agent hot path as the benchmark and the no-allocation test drive it:
// one policy against the fake kernel, fed a steady stream of events (each
// running thread blocks and wakes again), one agent round per step.
#ifndef GHOST_TESTS_HOST_BENCH_HOT_PATH_LOOP_H_
#define GHOST_TESTS_HOST_BENCH_HOT_PATH_LOOP_H_

#include <cstdint>
#include <vector>

#include "schedulers/fifo/centralized/centralized_fifo_scheduler.h"
#include "schedulers/fifo/percpu/percpu_fifo_scheduler.h"
#include "tests/host/fakes/fake_kernel.h"

namespace ghost::testing {

// A per-CPU FIFO agent on one CPU with `threads` runnable threads.
class PerCpuHotPath {
 public:
  explicit PerCpuHotPath(int threads) : kernel_({1}), sched_(kernel_, {1}) {
    (void)sched_.Init();
    sched_.AgentAttached(1, *kernel_.AttachAgent(1));
    sched_.AllAttached();
    kernel_.SetCallerCpu(1);
    for (int i = 0; i < threads; ++i) kernel_.Spawn();
    sched_.Round(1);
  }

  // The running thread blocks and wakes (2 messages); the agent decodes
  // them and commits the next thread (1 commit).
  void Step() {
    const uint64_t running = kernel_.running_gtid(1);
    kernel_.Block(running);
    kernel_.Wake(running);
    sched_.Round(1);
  }

  // A new thread arrives and the agent takes it in (a fresh task); then
  // it exits and the agent forgets it (its slot reset).
  void SpawnAndExit() {
    const uint64_t gtid = kernel_.Spawn(/*runnable=*/false);
    sched_.Round(1);
    kernel_.Exit(gtid);
    sched_.Round(1);
  }

  uint64_t messages() const { return sched_.stats().messages.load(); }
  uint64_t commits() const { return sched_.txns().completed(); }

 private:
  FakeKernel kernel_;
  fifo::PerCpuFifoScheduler sched_;
};

// A centralized agent on CPU 0 placing threads on CPUs 1-3.
class CentralizedHotPath {
 public:
  explicit CentralizedHotPath(int threads)
      : kernel_({0, 1, 2, 3}),
        sched_(kernel_, {0, 1, 2, 3}, {.queue_size = 4096}) {
    (void)sched_.Init();
    for (int cpu : {0, 1, 2, 3}) {
      sched_.AgentAttached(cpu, *kernel_.AttachAgent(cpu));
    }
    sched_.AllAttached();
    kernel_.SetCallerCpu(0);
    for (int i = 0; i < threads; ++i) kernel_.Spawn();
    sched_.Round(0);
  }

  // Each of the 3 running threads blocks and wakes (6 messages); one
  // global round decodes them and commits 3 threads in one call.
  void Step() {
    for (int cpu = 1; cpu <= 3; ++cpu) {
      const uint64_t running = kernel_.running_gtid(cpu);
      kernel_.Block(running);
      kernel_.Wake(running);
    }
    sched_.Round(0);
  }

  uint64_t messages() const { return sched_.stats().messages.load(); }
  uint64_t commits() const { return sched_.txns().completed(); }

 private:
  FakeKernel kernel_;
  fifo::CentralizedFifoScheduler sched_;
};

}  // namespace ghost::testing

#endif  // GHOST_TESTS_HOST_BENCH_HOT_PATH_LOOP_H_
