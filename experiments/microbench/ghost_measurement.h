// One ghost measurement, from the bench's side: a fresh enclave (bench_lab),
// the agent process forked into it (agent_process), the bench's ghost
// worker threads moved in, an optional driver in the main thread, and a
// teardown that always runs (the agent stopped, the enclave destroyed, the
// workers joined). A failure comes back with what the agent was doing, how
// far it got and the transaction results it saw.
//
//   absl::StatusOr<GhostResult> r = GhostMeasurement(
//       {.name = "ghost local schedule on CPU 1", .enclave_id = 40,
//        .wake_agent = true, .nr_workers = 1,
//        .workers = WorkerKind::kYielder, .rounds = 2000,
//        .agent = LocalScheduleAgent},
//       layout, limits).Run();
#ifndef GHOST_EXPERIMENTS_MICROBENCH_GHOST_MEASUREMENT_H_
#define GHOST_EXPERIMENTS_MICROBENCH_GHOST_MEASUREMENT_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "experiments/microbench/agent_context.h"
#include "experiments/microbench/bench_lab.h"
#include "experiments/microbench/bench_limits.h"
#include "experiments/microbench/bench_shared.h"
#include "experiments/microbench/cpu_layout.h"
#include "experiments/microbench/ghost_result.h"
#include "lib/runtime/agent_child.h"
#include "lib/runtime/shared_block.h"

namespace ghost::bench {

// A ghost thread of the bench process: waits at a gate, then runs `body`.
struct Worker {
  std::atomic<pid_t> tid{0};
  std::atomic<int> gate{0};
  std::thread thread;
  uint64_t gtid = 0;
};

// kYielder: once the agent runs, timestamps and yields in a loop (every
// return from sched_yield() is a latch). kSleeper: stays asleep in the
// enclave until the teardown.
enum class WorkerKind { kYielder, kSleeper };

// How one ghost measurement is set up.
struct GhostSpec {
  const char* name;
  unsigned int enclave_id;
  bool wake_agent;  // the default queue wakes the agent's CPU
  int nr_workers;   // at most kMaxWorkers (and the remote CPUs, to latch)
  WorkerKind workers;
  int rounds;
  AgentBody agent;
  // Runs in the bench's main thread while the agent measures (the message
  // test makes the events here); may be empty.
  std::function<absl::Status(Shared&, std::vector<std::unique_ptr<Worker>>&)>
      driver;
};

class GhostMeasurement final {
 public:
  GhostMeasurement(const GhostSpec& spec, const CpuLayout& layout,
                   const BenchLimits& limits)
      : spec_(spec), layout_(layout), limits_(limits) {}
  GhostMeasurement(const GhostMeasurement&) = delete;
  GhostMeasurement& operator=(const GhostMeasurement&) = delete;
  ~GhostMeasurement();

  // Runs the measurement once; call at most once.
  absl::StatusOr<GhostResult> Run();

 private:
  absl::Status RunSteps();
  absl::Status AgentFailure();
  // Waits for the agent to reach `phase` (bounded), watching the enclave
  // and the agent process.
  absl::Status WaitPhase(int phase, uint64_t limit_ns);
  // Starts worker `i`, moves it into the enclave asleep and tells the
  // agent its gtid and status word.
  absl::Status StartWorker(int i);
  // Stops the agent (bounded, then SIGKILL), destroys the enclave (its
  // threads go back to CFS) and joins the workers.
  void TearDown();

  GhostSpec spec_;
  CpuLayout layout_;
  BenchLimits limits_;
  std::unique_ptr<SharedBlock<Shared>> block_;  // shared with the agent
  Shared* shared_ = nullptr;                    // in block_
  std::unique_ptr<Lab> lab_;
  std::unique_ptr<AgentChild> agent_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<bool> stop_workers_{false};
};

}  // namespace ghost::bench

#endif  // GHOST_EXPERIMENTS_MICROBENCH_GHOST_MEASUREMENT_H_
