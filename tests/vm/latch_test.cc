// The fate of every latch (docs/kernel-rules.md K12, K13): a latch that is
// not run is either kept or reported to the agents, never lost silently,
// and a sync group that fails gives each member a result.
//
// Each case latches a ghost thread on CPU 2 while a CFS hog holds that CPU:
// CFS outranks ghost, so the latched thread waits there, latched and not
// running, for as long as the test wants.
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "lib/abi/cpu_data_region.h"
#include "lib/abi/ghost_run.h"
#include "lib/uapi/linux/ghost.h"
#include "tests/vm/cfs_hog.h"
#include "tests/vm/gated_workers.h"
#include "tests/vm/manual_agent.h"
#include "tests/vm/manual_agent_test.h"
#include "tests/vm/wait_for.h"

namespace ghost {
namespace {

using ::ghost::testing::CfsHog;
using ::ghost::testing::GatedWorkers;
using ::ghost::testing::ManualAgent;
using ::ghost::testing::ManualAgentTest;

constexpr int kAgentCpu = 1;
constexpr int kLatchCpu = 2;

// Waits up to `limit` for `done`.
template <typename Pred>
bool Within(absl::Duration limit, Pred done) {
  return testing::WaitFor(done, limit);
}

class LatchTest : public ManualAgentTest {
 protected:
  LatchTest() : ManualAgentTest(23, "1-2") {}
};

TEST_F(LatchTest, ANiceChangeOfALatchedThreadKeepsItsLatch) {
  ManualAgent& m = *agent_;
  std::atomic<bool> ran{false};
  GatedWorkers w(1, [&](int) { ran.store(true); });
  const uint64_t gtid = RunnableGhostThreads(w, 1, absl::Seconds(10))[0];
  CfsHog hog(kLatchCpu);
  m.AsAgent(kAgentCpu, [&] {
    ASSERT_EQ(Latch(kLatchCpu, gtid), "COMPLETE");
    const uint64_t latched_at = m.Word(gtid)->switch_time;
    // A nice change dequeues and enqueues the thread where it is.
    ASSERT_EQ(setpriority(PRIO_PROCESS, w.tid(0), 5), 0);
    EXPECT_FALSE(ran.load()) << "the hog holds CPU 2";
    uint32_t seen = m.Seq(gtid);
    hog.Stop();
    // Once it runs from the kept latch, anything that wakes on CPU 2 may
    // preempt it on its way to `ran` (the agents hear PREEMPTED): then it
    // is latched again, as an agent would. A word that moved before the
    // thread ever switched in means the latch was dropped.
    bool dropped = false;
    int relatched = 0;
    EXPECT_TRUE(Within(absl::Seconds(10), [&] {
      if (ran.load()) return true;
      std::optional<StatusWord> word = m.Word(gtid);
      if (word && word->barrier != seen && word->runnable() &&
          !word->on_cpu()) {
        seen = word->barrier;
        dropped = dropped || word->switch_time == latched_at;
        m.Drain();
        (void)m.Try(kLatchCpu, gtid, seen, 0);
        ++relatched;
      }
      return false;
    })) << "the latch was lost: nothing runs the thread, no message said so";
    EXPECT_FALSE(dropped) << "the nice change dropped the latch";
    if (relatched > 0) {
      std::cout << "preempted after it ran from its latch; latched again "
                << relatched << " time(s)\n";
    }
  });
}

TEST_F(LatchTest, AnAffinityChangeAwayFromTheLatchedCpuTellsTheAgents) {
  ManualAgent& m = *agent_;
  GatedWorkers w(1, [&](int) {});
  const uint64_t gtid = RunnableGhostThreads(w, 1, absl::Seconds(10))[0];
  CfsHog hog(kLatchCpu);
  m.AsAgent(kAgentCpu, [&] {
    ASSERT_EQ(Latch(kLatchCpu, gtid), "COMPLETE");
    m.Drain();
    cpu_set_t only1;
    CPU_ZERO(&only1);
    CPU_SET(kAgentCpu, &only1);
    ASSERT_EQ(sched_setaffinity(w.tid(0), sizeof(only1), &only1), 0);
    // The latch cannot run any more: its agents must hear it is waiting.
    std::vector<uint16_t> types;
    EXPECT_TRUE(
        AwaitMessage(gtid, GHOST_MSG_PREEMPTED, types, absl::Seconds(5)))
        << types.size() << " messages about the thread, none PREEMPTED";
  });
}

TEST_F(LatchTest, AFailedSyncGroupLeavesNoMemberReady) {
  ManualAgent& m = *agent_;
  GatedWorkers w(1, [&](int) {});
  const uint64_t gtid = RunnableGhostThreads(w, 1, absl::Seconds(10))[0];
  m.AsAgent(kAgentCpu, [&] {
    ghost_txn* first = m.cpu_data().txn(kAgentCpu);
    ghost_txn* second = m.cpu_data().txn(kLatchCpu);
    first->state = GHOST_TXN_IDLE;  // not READY: the group fails
    CpuDataRegion::Fill(second, gtid, m.Seq(gtid), 0, 0);
    const int cpus[] = {kAgentCpu, kLatchCpu};
    EXPECT_EQ(*Commit(cpus, 2, GHOST_COMMIT_F_SYNC_GROUP), 0);
    EXPECT_EQ(std::string(TxnResultName(CpuDataRegion::Result(second))),
              "POISONED")
        << "the READY member must end with a result";
    EXPECT_EQ(first->state, GHOST_TXN_IDLE) << "not ours to touch";
  });
}

}  // namespace
}  // namespace ghost
