// What the bench process and its agent process share: one `Shared` in a
// SharedBlock (lib/runtime/shared_block.h) made before the fork. The bench
// hands the agent its threads and tells it to go or stop; the ghost
// threads leave timestamps; the agent reports its phase, where it is, its
// samples and the transaction results it saw.
//
//   SharedBlock<Shared> shared;                    // before the fork
//   ... the agent: shared->phase.store(kAttached); ...
//   std::printf("%s\n", ResultCounts(*shared).c_str());
#ifndef GHOST_EXPERIMENTS_MICROBENCH_BENCH_SHARED_H_
#define GHOST_EXPERIMENTS_MICROBENCH_BENCH_SHARED_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "lib/uapi/linux/ghost.h"

namespace ghost::bench {

constexpr int kMaxWorkers = 8;
constexpr int kMaxSamples = 1 << 16;

// The agent process's life: kAttached once it is an agent, then kDone or
// kFailed (with `Shared::error` set).
enum Phase : int { kStarting = 0, kAttached, kDone, kFailed };

// What the agent is doing, for the message when a measurement is given up.
enum Where : int {
  kNowhere = 0,
  kWaitingForGo,
  kWaitingForRunnable,
  kCommitting,
  kWaitingForRun,
  kBlocked,
  kPolling,
};

// `where` in words, to follow "the agent was ".
const char* WhereName(int where);

// Placed in a MAP_SHARED mapping made before the fork: the bench process
// (its ghost worker threads and its main thread) and the agent process see
// the same memory. Plain fields are written by one side before a release
// store that the other side acquires (go, phase).
struct Shared {
  // The bench -> the agent.
  std::atomic<bool> go{false};
  std::atomic<bool> stop{false};
  int nr_workers = 0;
  uint64_t gtid[kMaxWorkers] = {};
  uint32_t sw_index[kMaxWorkers] = {};
  // Ghost workers -> the agent: when each last saw itself running.
  std::atomic<uint64_t> ran_ns[kMaxWorkers] = {};
  std::atomic<uint64_t> runs[kMaxWorkers] = {};
  // The agent -> the bench.
  std::atomic<int> phase{kStarting};
  std::atomic<int> where{kNowhere};
  std::atomic<int> round{0};
  std::atomic<int> received{0};          // messages measured (delivery test)
  std::atomic<int> blocking{0};          // 1: about to block / blocked
  std::atomic<uint64_t> lost_rounds{0};  // latched, ran, but no timestamp
  std::atomic<uint64_t> results[GHOST_TXN_NR_RESULTS] = {};
  std::atomic<uint64_t> commit_errors{0};
  int nr_samples = 0;
  uint64_t a[kMaxSamples];  // the primary sample of each round
  uint64_t b[kMaxSamples];  // a second one (system call time, round trip)
  char error[512] = {};
};

// The transaction results an agent saw, "COMPLETE 500, TARGET_STALE 2",
// then "failed calls N" if any; "none" if there were none.
std::string ResultCounts(const Shared& s);

}  // namespace ghost::bench

#endif  // GHOST_EXPERIMENTS_MICROBENCH_BENCH_SHARED_H_
