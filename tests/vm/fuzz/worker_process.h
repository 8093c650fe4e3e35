// WorkerProcess: the ABI fuzzer's workers, in a process of their own.
//
// The workers are ghost threads the rogue agents schedule. They must not
// share an address space with the agents: a worker preempted while it
// holds the mmap lock (a thread starting or exiting maps or unmaps a stack,
// a page fault) waits for an agent, and an agent that then faults,
// allocates or maps waits for that lock, for good if the fuzzer turned the
// enclave's runnable_timeout off. So the workers live in a child forked
// before any fuzzing thread exists; what the fuzzer needs of them (tids,
// gtids, rounds, done, the outcomes of their own calls) is in shared
// memory.
//
//   std::unique_ptr<WorkerProcess> workers = WorkerProcess::Start(seed);
//   ...  // move workers->tid(i) into enclaves
//   workers->Stop();
//   workers->WaitDone(i, limit); workers->Reap(limit);
//   workers->AddOutcomesTo(ledger);
#ifndef GHOST_TESTS_VM_FUZZ_WORKER_PROCESS_H_
#define GHOST_TESTS_VM_FUZZ_WORKER_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/vm/fuzz/ledger.h"

namespace ghost::fuzz {

class WorkerProcess {
 public:
  // Forks the worker process and waits (bounded) until every worker knows
  // its tid. Call it before starting any thread: the child gets only the
  // caller's.
  static absl::StatusOr<std::unique_ptr<WorkerProcess>> Start(uint64_t seed);

  // Kills the process if it is still there.
  ~WorkerProcess();
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  pid_t pid() const { return pid_; }
  pid_t tid(int i) const;
  uint64_t gtid(int i) const;
  uint64_t rounds(int i) const;
  bool done(int i) const;

  // Asks every worker to finish its step and exit.
  void Stop();
  // Waits up to `limit` for worker `i` to finish.
  bool WaitDone(int i, absl::Duration limit) const;
  // Waits up to `limit` for the process to exit; kills it (after moving
  // every worker to CFS, where it can run to die) if it did not. Returns
  // whether it exited by itself with status 0.
  bool Reap(absl::Duration limit);

  // Records what the workers' own calls (affinity, nice, child threads)
  // returned in `ledger`, as if they had been recorded there.
  void AddOutcomesTo(FuzzLedger& ledger) const;

 private:
  struct Shared;

  explicit WorkerProcess(Shared* shared) : shared_(shared) {}
  static void RunChild(Shared* shared, uint64_t seed);

  Shared* const shared_;
  pid_t pid_ = -1;
  bool reaped_ = false;
};

}  // namespace ghost::fuzz

#endif  // GHOST_TESTS_VM_FUZZ_WORKER_PROCESS_H_
