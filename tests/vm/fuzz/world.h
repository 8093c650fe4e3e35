// The world the ABI fuzzer's threads share: its settings and ledger, the
// stop flags, the worker threads the rogue agents schedule, where the rogue
// agents are, and what the system looks like (kernel threads, pid_max).
#ifndef GHOST_TESTS_VM_FUZZ_WORLD_H_
#define GHOST_TESTS_VM_FUZZ_WORLD_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "tests/vm/fuzz/config.h"
#include "tests/vm/fuzz/ledger.h"
#include "tests/vm/fuzz/rng.h"
#include "tests/vm/fuzz/system_view.h"

namespace ghost::fuzz {

// A real thread that sleeps, yields and spins; the fuzzer moves it between
// enclaves (only while it sleeps) and the rogue agent schedules it.
struct Worker {
  std::atomic<pid_t> tid{0};
  std::atomic<uint64_t> gtid{0};
  std::atomic<uint64_t> rounds{0};
  std::atomic<bool> done{false};
  std::thread thread;
};

struct World {
  explicit World(const FuzzConfig& c) : config(c) {}

  const FuzzConfig config;
  FuzzLedger ledger;
  std::atomic<bool> stop{false};          // the fuzzing threads
  std::atomic<bool> stop_helpers{false};  // the pinger, after the agent
  std::atomic<bool> stop_workers{false};
  std::vector<std::unique_ptr<Worker>> workers;
  // Two rogue agents: they commit to each other's CPUs too.
  static constexpr int kAgents = 2;
  std::atomic<pid_t> agent_tid[kAgents] = {0, 0};
  std::atomic<int> agent_cpu[kAgents] = {-1, -1};
  std::atomic<bool> hotplug{false};  // a CPU is (being taken) offline
  std::vector<pid_t> kthreads;  // must never enter (EPERM)
  pid_t pid_max = 4194304;

  // Any thread, for the tasks files: a sleeping worker's tid, or 0.
  pid_t SleepingWorker(FuzzRng& rng) {
    const Worker& w = *workers[rng.Below(workers.size())];
    const pid_t tid = w.tid.load();
    return tid > 0 && !w.done.load() && Asleep(tid) ? tid : 0;
  }
  uint64_t WorkerGtid(FuzzRng& rng) {
    return workers[rng.Below(workers.size())]->gtid.load();
  }
};

}  // namespace ghost::fuzz

#endif  // GHOST_TESTS_VM_FUZZ_WORLD_H_
