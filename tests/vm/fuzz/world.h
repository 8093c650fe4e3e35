// The world the ABI fuzzer's threads share: its settings and ledger, the
// stop flags, the workers the rogue agents schedule, where the rogue agents
// are, and what the system looks like (kernel threads, pid_max).
#ifndef GHOST_TESTS_VM_FUZZ_WORLD_H_
#define GHOST_TESTS_VM_FUZZ_WORLD_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "tests/vm/fuzz/config.h"
#include "tests/vm/fuzz/layout.h"
#include "tests/vm/fuzz/ledger.h"
#include "tests/vm/fuzz/rng.h"
#include "tests/vm/fuzz/system_view.h"
#include "tests/vm/fuzz/worker_process.h"

namespace ghost::fuzz {

struct World {
  explicit World(const FuzzConfig& c) : config(c) {}

  const FuzzConfig config;
  FuzzLedger ledger;
  std::atomic<bool> stop{false};          // the fuzzing threads
  std::atomic<bool> stop_helpers{false};  // the pinger, after the agent
  // The workers, in a process of their own (worker_process.h); not owned.
  WorkerProcess* workers = nullptr;
  // Two rogue agents: they commit to each other's CPUs too.
  static constexpr int kAgents = 2;
  std::atomic<pid_t> agent_tid[kAgents] = {0, 0};
  std::atomic<int> agent_cpu[kAgents] = {-1, -1};
  std::atomic<bool> hotplug{false};  // a CPU is (being taken) offline
  // Odd while a write that can take an agent out of a live enclave is in
  // flight (a cpulist write, CPU hotplug), bumped before and after it. An
  // agent operation that succeeds only because its thread was evicted in
  // between (attaching again, freeing its own word) is then no finding.
  std::atomic<uint64_t> evictions{0};
  // Odd while rogue agent i has a commit in flight: its claims on other
  // CPUs' slots are legitimately CLAIMED until it returns.
  std::atomic<uint64_t> commits[kAgents] = {0, 0};
  std::vector<pid_t> kthreads;  // must never enter (EPERM)
  pid_t pid_max = 4194304;

  // Any thread, for the tasks files: a sleeping worker's tid, or 0.
  pid_t SleepingWorker(FuzzRng& rng) {
    const int i = static_cast<int>(rng.Below(kWorkers));
    const pid_t tid = workers->tid(i);
    return tid > 0 && !workers->done(i) && Asleep(tid) ? tid : 0;
  }
  uint64_t WorkerGtid(FuzzRng& rng) {
    return workers->gtid(static_cast<int>(rng.Below(kWorkers)));
  }
  pid_t WorkerTid(FuzzRng& rng) {
    return workers->tid(static_cast<int>(rng.Below(kWorkers)));
  }
};

}  // namespace ghost::fuzz

#endif  // GHOST_TESTS_VM_FUZZ_WORLD_H_
