// Transactions as a policy writes them: a RunRequest says "run this thread
// on this CPU", and a TxnBatch commits many of them in one GHOST_OP_COMMIT
// (one round of IPIs), optionally as an all-or-nothing sync group.
//
//   TxnBatch batch(kernel, cpus.size());        // sized once, up front
//   batch.Add({.cpu = 2, .gtid = g, .task_barrier = t.seq});
//   batch.Add({.cpu = 3, .gtid = h, .task_barrier = u.seq});
//   batch.Commit();                              // or CommitSyncGroup()
//   for (int i = 0; i < batch.size(); ++i) batch.result(i) ...
//
// Add() writes the CPU's slot in cpu_data and marks it READY; results are
// read back from the slots. No allocation after construction.
#ifndef GHOST_LIB_AGENT_TXN_H_
#define GHOST_LIB_AGENT_TXN_H_

#include <cstdint>
#include <vector>

#include "lib/abi/cpu_data_region.h"  // TxnResultName()
#include "lib/agent/kernel_interface.h"
#include "lib/uapi/linux/ghost.h"

namespace ghost {

struct RunRequest {
  int cpu = -1;
  uint64_t gtid = GHOST_GTID_NONE;  // NONE: the CPU goes idle
  uint32_t task_barrier = 0;
  uint32_t agent_barrier = 0;  // only for the caller's own CPU
  uint32_t run_flags = 0;      // GHOST_RUN_F_*
};

// Commits one request; returns the slot's result (GHOST_TXN_COMPLETE...),
// or GHOST_TXN_IDLE if the commit call itself failed (`*err` = errno).
int32_t CommitOne(KernelInterface& kernel, const RunRequest& req,
                  uint32_t flags = 0, int* err = nullptr);

class TxnBatch {
 public:
  TxnBatch(KernelInterface& kernel, int capacity)
      : kernel_(kernel), cpus_(capacity), requests_(capacity) {}

  // Adds `req` (its CPU must not be in the batch yet, and the batch must
  // not be full). Returns false, changing nothing, if it is.
  bool Add(const RunRequest& req);

  // Commits every request in one call; returns how many completed, or a
  // negative errno if the call itself failed (read each result: a slot
  // still READY was not claimed).
  int Commit(uint32_t flags = 0);

  // All-or-nothing: either every request completes or none takes effect.
  int CommitSyncGroup() { return Commit(GHOST_COMMIT_F_SYNC_GROUP); }

  int size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const RunRequest& request(int i) const { return requests_[i]; }
  int32_t result(int i) const;
  void Clear() { size_ = 0; }

 private:
  KernelInterface& kernel_;
  std::vector<int> cpus_;
  std::vector<RunRequest> requests_;
  int size_ = 0;
};

}  // namespace ghost

#endif  // GHOST_LIB_AGENT_TXN_H_
