// Host tests of the ABI fuzzer's worker process: the workers run in a
// child, report through shared memory and end when asked.
#include "tests/vm/fuzz/worker_process.h"

#include <signal.h>
#include <unistd.h>

#include <memory>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/vm/fuzz/layout.h"
#include "tests/vm/fuzz/ledger.h"

namespace ghost::fuzz {
namespace {

TEST(WorkerProcessTest, WorkersRunInAChildAndFinishWhenStopped) {
  absl::StatusOr<std::unique_ptr<WorkerProcess>> workers =
      WorkerProcess::Start(42);
  ASSERT_TRUE(workers.ok()) << workers.status();
  WorkerProcess& w = **workers;
  EXPECT_NE(w.pid(), getpid());
  for (int i = 0; i < kWorkers; ++i) {
    EXPECT_GT(w.tid(i), 0);
    // A thread of the child, not of this process.
    EXPECT_NE(access(("/proc/self/task/" + std::to_string(w.tid(i))).c_str(),
                     F_OK),
              0);
  }
  const absl::Time end = absl::Now() + absl::Seconds(10);
  while (w.rounds(kWorkers - 1) < 20 && absl::Now() < end) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_GE(w.rounds(kWorkers - 1), 20u);
  w.Stop();
  for (int i = 0; i < kWorkers; ++i) {
    EXPECT_TRUE(w.WaitDone(i, absl::Seconds(10))) << "worker " << i;
  }
  EXPECT_TRUE(w.Reap(absl::Seconds(10)));

  FuzzLedger ledger;
  w.AddOutcomesTo(ledger);
  EXPECT_GT(ledger.count("worker.affinity") + ledger.count("worker.nice") +
                ledger.count("worker.child"),
            0u);
  EXPECT_TRUE(ledger.Findings().empty());
}

TEST(WorkerProcessTest, AChildThatDoesNotStopIsKilled) {
  absl::StatusOr<std::unique_ptr<WorkerProcess>> workers =
      WorkerProcess::Start(7);
  ASSERT_TRUE(workers.ok()) << workers.status();
  // Not stopped: Reap gives up waiting and kills it.
  EXPECT_FALSE((*workers)->Reap(absl::Milliseconds(100)));
  EXPECT_NE(kill((*workers)->pid(), 0), 0) << "the child is still there";
}

}  // namespace
}  // namespace ghost::fuzz
