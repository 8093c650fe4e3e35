// The kernel side of one ghost measurement: an enclave of its own on CPUs
// 1..n-1 (cpu_layout.h), its default message queue, and the mappings of its
// transaction and status-word regions. Made in the bench process before the
// agent process is forked, so that both see the same mappings.
//
//   absl::StatusOr<Lab> lab = MakeLab(40, /*wake_agent=*/true, 30000, layout);
//   if (!lab.ok()) return lab.status();
//   ... fork the agent, AddTask() the workers ...
//   (void)lab->enclave->Destroy();
#ifndef GHOST_EXPERIMENTS_MICROBENCH_BENCH_LAB_H_
#define GHOST_EXPERIMENTS_MICROBENCH_BENCH_LAB_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "experiments/microbench/cpu_layout.h"
#include "lib/abi/cpu_data_region.h"
#include "lib/abi/enclave.h"
#include "lib/abi/fd.h"
#include "lib/abi/message_queue.h"
#include "lib/abi/status_word_region.h"

namespace ghost::bench {

// An enclave for one measurement and the shared memory its agent uses.
struct Lab {
  CpuLayout layout;  // the enclave owns layout.EnclaveCpus()
  std::unique_ptr<Enclave> enclave;
  Fd dir;
  std::unique_ptr<MessageQueue> queue;
  std::unique_ptr<CpuDataRegion> cpu_data;
  std::unique_ptr<StatusWordRegion> words;
};

// Enclave `id` on the CPUs of `layout` (a leftover of an earlier run is
// destroyed first) with the watchdog set to `runnable_timeout_ms`; its
// default queue wakes the agent's CPU if `wake_agent`.
absl::StatusOr<Lab> MakeLab(unsigned int id, bool wake_agent,
                            int runnable_timeout_ms, const CpuLayout& layout);

// Why the kernel destroyed the lab's enclave (its line in
// /sys/fs/ghost/destroyed), for an error message.
std::string DestroyedReason(const Lab& lab);

}  // namespace ghost::bench

#endif  // GHOST_EXPERIMENTS_MICROBENCH_BENCH_LAB_H_
