// Sync groups keep the fate rule (docs/abi.md, "An agent always learns the
// fate of a latch"): a group is all-or-nothing, each latch it makes or
// replaces ends in exactly one result or message, and a "run nothing"
// member takes its CPU like any other.
//
// The enclave is CPUs 1-3; the test's agent thread is CPU 1's agent and
// commits to CPUs 2 and 3. Where a latch must wait unrun, a CFS hog holds
// its CPU (CFS outranks ghost).
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
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
using ::ghost::testing::ManualAgentTest;

constexpr int kAgentCpu = 1;
constexpr int kCpuA = 2;
constexpr int kCpuB = 3;

std::string Result(ghost_txn* txn) {
  return TxnResultName(CpuDataRegion::Result(txn));
}

class SyncGroupTest : public ManualAgentTest {
 protected:
  SyncGroupTest() : ManualAgentTest(24, "1-3") {}
};

// A group that names one thread for two CPUs cannot run it on both: the
// thread runs on one, and the other member says its latch was lost.
TEST_F(SyncGroupTest, OneThreadNamedForTwoCpusRunsOnOneAndTheOtherIsStale) {
  std::atomic<int> ran_on{-1};
  GatedWorkers w(1, [&](int) { ran_on.store(sched_getcpu()); });
  const uint64_t gtid = RunnableGhostThreads(w, 1)[0];
  CfsHog hog_a(kCpuA), hog_b(kCpuB);
  agent_->AsAgent(kAgentCpu, [&] {
    ghost_txn* a = agent_->cpu_data().txn(kCpuA);
    ghost_txn* b = agent_->cpu_data().txn(kCpuB);
    agent_->Drain();
    const uint32_t seq = agent_->Seq(gtid);
    CpuDataRegion::Fill(a, gtid, seq, 0, 0);
    CpuDataRegion::Fill(b, gtid, seq, 0, 0);
    const int cpus[] = {kCpuA, kCpuB};
    absl::StatusOr<int> done = Commit(cpus, 2, GHOST_COMMIT_F_SYNC_GROUP);
    ASSERT_TRUE(done.ok()) << done.status();
    EXPECT_EQ(Result(a), "TARGET_STALE")
        << "the first member's latch was replaced by the second's";
    EXPECT_EQ(Result(b), "COMPLETE");
    EXPECT_EQ(*done, 1) << "only one member is latched";
    hog_a.Stop();
    hog_b.Stop();
    EXPECT_TRUE(testing::WaitFor([&] { return ran_on.load() >= 0; },
                                 absl::Seconds(10)))
        << "the thread of the complete member never ran";
    EXPECT_EQ(ran_on.load(), kCpuB);
    for (const ghost_msg& msg : agent_->Drain()) {
      EXPECT_FALSE(msg.gtid == gtid && msg.type == GHOST_MSG_PREEMPTED)
          << "a lost pending latch has one fate: its member's result";
    }
  });
}

// A failed group changes nothing the agent cannot see: the latch its
// member replaced (an earlier commit's, not run yet) comes back to the
// agent as PREEMPTED; the member itself is POISONED.
TEST_F(SyncGroupTest, AFailedGroupHandsBackTheLatchItReplaced) {
  GatedWorkers w(2, [&](int) {});
  const std::vector<uint64_t> gtids = RunnableGhostThreads(w, 2);
  const uint64_t earlier = gtids[0], member = gtids[1];
  CfsHog hog(kCpuA);
  agent_->AsAgent(kAgentCpu, [&] {
    ASSERT_EQ(Latch(kCpuA, earlier), "COMPLETE");
    ghost_txn* a = agent_->cpu_data().txn(kCpuA);
    ghost_txn* b = agent_->cpu_data().txn(kCpuB);
    agent_->Drain();
    CpuDataRegion::Fill(a, member, agent_->Seq(member), 0, 0);
    // A barrier the thread never had: this member fails, after the first
    // member latched (pending) over the earlier latch.
    CpuDataRegion::Fill(b, earlier, agent_->Seq(earlier) + 7, 0, 0);
    const int cpus[] = {kCpuA, kCpuB};
    absl::StatusOr<int> done = Commit(cpus, 2, GHOST_COMMIT_F_SYNC_GROUP);
    ASSERT_TRUE(done.ok()) << done.status();
    EXPECT_EQ(*done, 0);
    EXPECT_EQ(Result(a), "POISONED");
    EXPECT_EQ(Result(b), "TARGET_STALE");
    std::vector<uint16_t> seen;
    EXPECT_TRUE(AwaitMessage(earlier, GHOST_MSG_PREEMPTED, seen,
                             absl::Seconds(5)))
        << "the earlier latch was dropped by the failed group and nobody "
           "said so: " << seen.size() << " messages about its thread";
    std::vector<uint16_t> of_member;
    for (const ghost_msg& msg : agent_->Drain()) {
      if (msg.gtid == member) of_member.push_back(msg.type);
    }
    EXPECT_TRUE(of_member.empty())
        << "the POISONED member's thread needs no message";
  });
}

// A member that moves its thread away from a CPU where it was latched
// replaces that latch; if the group fails, the member's POISONED is the
// thread's one fate, and no PREEMPTED follows it.
TEST_F(SyncGroupTest, AFailedGroupThatMovedAThreadGivesItOneFate) {
  GatedWorkers w(1, [&](int) {});
  const uint64_t gtid = RunnableGhostThreads(w, 1)[0];
  CfsHog hog(kCpuA);
  agent_->AsAgent(kAgentCpu, [&] {
    ASSERT_EQ(Latch(kCpuA, gtid), "COMPLETE");
    ghost_txn* b = agent_->cpu_data().txn(kCpuB);
    ghost_txn* own = agent_->cpu_data().txn(kAgentCpu);
    agent_->Drain();
    CpuDataRegion::Fill(b, gtid, agent_->Seq(gtid), 0, 0);
    // A commit to our own CPU with an agent barrier we never had fails
    // (AGENT_STALE) after the first member moved the thread.
    CpuDataRegion::Fill(own, GHOST_GTID_NONE, 0,
                        agent_->agent_barrier() + 5, 0);
    const int cpus[] = {kCpuB, kAgentCpu};
    absl::StatusOr<int> done = Commit(cpus, 2, GHOST_COMMIT_F_SYNC_GROUP);
    ASSERT_TRUE(done.ok()) << done.status();
    EXPECT_EQ(*done, 0);
    EXPECT_EQ(Result(b), "POISONED");
    EXPECT_EQ(Result(own), "AGENT_STALE");
    // Its fate is known: the agent latches it again, which must work
    // (a PREEMPTED now would be a second fate).
    for (const ghost_msg& msg : agent_->Drain()) {
      EXPECT_FALSE(msg.gtid == gtid && msg.type == GHOST_MSG_PREEMPTED)
          << "the thread of a POISONED member was handed back twice";
    }
    EXPECT_EQ(Latch(kCpuB, gtid), "COMPLETE");
  });
}

// "Run nothing" in a group that succeeds takes the CPU from the ghost
// thread running there, as the same commit alone would.
TEST_F(SyncGroupTest, ARunNothingMemberTakesTheCpuFromItsThread) {
  std::atomic<bool> stop{false};
  GatedWorkers w(1, [&](int) {
    while (!stop.load()) {
    }
  });
  const uint64_t gtid = RunnableGhostThreads(w, 1)[0];
  agent_->AsAgent(kAgentCpu, [&] {
    ASSERT_EQ(Latch(kCpuA, gtid), "COMPLETE");
    ASSERT_TRUE(testing::WaitFor(
        [&] {
          std::optional<StatusWord> word = agent_->Word(gtid);
          return word && word->on_cpu();
        },
        absl::Seconds(10)))
        << "the latched thread never ran";
    agent_->Drain();
    ghost_txn* a = agent_->cpu_data().txn(kCpuA);
    ghost_txn* b = agent_->cpu_data().txn(kCpuB);
    CpuDataRegion::Fill(a, GHOST_GTID_NONE, 0, 0, 0);
    CpuDataRegion::Fill(b, GHOST_GTID_NONE, 0, 0, 0);
    const int cpus[] = {kCpuA, kCpuB};
    absl::StatusOr<int> done = Commit(cpus, 2, GHOST_COMMIT_F_SYNC_GROUP);
    ASSERT_TRUE(done.ok()) << done.status();
    EXPECT_EQ(*done, 2);
    std::vector<uint16_t> seen;
    EXPECT_TRUE(AwaitMessage(gtid, GHOST_MSG_PREEMPTED, seen,
                             absl::Seconds(5)))
        << "the thread kept CPU " << kCpuA
        << " after the group told it to run nothing";
    EXPECT_TRUE(testing::WaitFor([&] {
      std::optional<StatusWord> word = agent_->Word(gtid);
      return word && !word->on_cpu();
    })) << "its status word still says it runs";
    stop.store(true);
  });
}

}  // namespace
}  // namespace ghost
