#include "tests/vm/fuzz/worker_process.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <new>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "lib/abi/ghost_run.h"
#include "tests/vm/fuzz/layout.h"
#include "tests/vm/fuzz/rng.h"
#include "tests/vm/fuzz/syscalls.h"
#include "tests/vm/fuzz/wait.h"
#include "tests/vm/fuzz/worker_outcomes.h"
#include "tests/vm/fuzz/workers.h"
#include "tests/vm/vm_helpers.h"

namespace ghost::fuzz {

struct WorkerProcess::Shared {
  struct Slot {
    std::atomic<pid_t> tid{0};
    std::atomic<uint64_t> gtid{0};
    std::atomic<uint64_t> rounds{0};
    std::atomic<bool> done{false};
  };
  std::atomic<bool> stop{false};
  Slot slots[kWorkers];
  WorkerOutcomes outcomes;
};

absl::StatusOr<std::unique_ptr<WorkerProcess>> WorkerProcess::Start(
    uint64_t seed) {
  void* mem = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return absl::ResourceExhaustedError("mmap");
  std::unique_ptr<WorkerProcess> p(new WorkerProcess(new (mem) Shared()));
  // The child must not print what the parent buffered.
  fflush(stdout);
  fflush(stderr);
  p->pid_ = fork();
  if (p->pid_ < 0) return absl::ResourceExhaustedError("fork");
  if (p->pid_ == 0) RunChild(p->shared_, seed);  // does not return
  const absl::Time end = absl::Now() + absl::Seconds(10);
  for (int i = 0; i < kWorkers; ++i) {
    while (p->tid(i) == 0 && absl::Now() < end) {
      absl::SleepFor(absl::Microseconds(100));
    }
    if (p->tid(i) == 0) {
      return absl::DeadlineExceededError("a worker did not start in 10 s");
    }
  }
  return p;
}

// In the child: the workers run as its threads; its first thread only
// waits for them. It dies with the fuzzer (PDEATHSIG), and never returns
// into the test runner it was forked from.
void WorkerProcess::RunChild(Shared* shared, uint64_t seed) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  std::vector<std::thread> threads;
  for (int i = 0; i < kWorkers; ++i) {
    threads.emplace_back([shared, seed, i] {
      FuzzRng rng(seed, 400 + i);
      Shared::Slot& me = shared->slots[i];
      me.gtid.store(GetGtid().value_or(0));
      me.tid.store(Gettid());
      while (!shared->stop.load()) {
        WorkerStep(rng, shared->outcomes);
        me.rounds.fetch_add(1);
      }
      me.done.store(true);
    });
  }
  for (std::thread& t : threads) t.join();
  _exit(0);
}

WorkerProcess::~WorkerProcess() {
  if (pid_ > 0 && !reaped_) {
    Stop();
    Reap(absl::Seconds(5));
  }
  // A child that could not be reaped keeps its own copy of the mapping.
  shared_->~Shared();
  munmap(shared_, sizeof(Shared));
}

pid_t WorkerProcess::tid(int i) const { return shared_->slots[i].tid.load(); }
uint64_t WorkerProcess::gtid(int i) const {
  return shared_->slots[i].gtid.load();
}
uint64_t WorkerProcess::rounds(int i) const {
  return shared_->slots[i].rounds.load();
}
bool WorkerProcess::done(int i) const { return shared_->slots[i].done.load(); }

void WorkerProcess::Stop() { shared_->stop.store(true); }

bool WorkerProcess::WaitDone(int i, absl::Duration limit) const {
  return WaitFor(shared_->slots[i].done, limit);
}

bool WorkerProcess::Reap(absl::Duration limit) {
  int status = 0;
  if (testing::ReapWithin(pid_, limit, &status)) {
    reaped_ = true;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  // A ghost thread with no agent does not run, not even to die.
  for (int i = 0; i < kWorkers; ++i) {
    if (tid(i) > 0) testing::MoveToCfs(tid(i));
  }
  kill(pid_, SIGKILL);
  reaped_ = testing::ReapWithin(pid_, absl::Seconds(10), &status);
  return false;
}

void WorkerProcess::AddOutcomesTo(FuzzLedger& ledger) const {
  shared_->outcomes.AddTo(ledger);
}

}  // namespace ghost::fuzz
