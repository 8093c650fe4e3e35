// The Scheduler base: what it does with each message before a policy sees
// it (sequence checks, state machine, adoption, resync, CPU messages),
// through a policy that only records its callbacks.
#include "lib/agent/scheduler.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/agent/scheduler_for.h"
#include "tests/host/fakes/fake_kernel.h"

namespace ghost {
namespace {

using ::ghost::testing::FakeKernel;
using ::testing::ElementsAre;

class RecordingScheduler final : public SchedulerFor<Task> {
 public:
  explicit RecordingScheduler(KernelInterface& k) : SchedulerFor<Task>(k) {}
  std::vector<std::string> calls;
  // The message each callback got: "TYPE seq N", or "none".
  std::vector<std::string> causes;

 protected:
  void TaskNew(Task& t, const ghost_msg& m, int) override { Log("new", t, &m); }
  void TaskWakeup(Task& t, const ghost_msg& m, int) override {
    Log("wakeup", t, &m);
  }
  void TaskBlocked(Task& t, const ghost_msg& m, int) override {
    Log("blocked", t, &m);
  }
  void TaskYield(Task& t, const ghost_msg& m, int) override {
    Log("yield", t, &m);
  }
  void TaskPreempted(Task& t, const ghost_msg& m, int) override {
    Log("preempted", t, &m);
  }
  void TaskAffinityChanged(Task& t, const ghost_msg& m, int) override {
    Log("affinity", t, &m);
  }
  void TaskGone(Task& t, const ghost_msg* m, int) override {
    Log("gone", t, m);
  }
  void TaskDiscovered(Task& t, TaskState before, int) override {
    Log(absl::StrCat("discovered(was ", TaskStateName(before), ")"), t,
        nullptr);
  }

 private:
  void Log(const std::string& what, const Task& t, const ghost_msg* m) {
    calls.push_back(
        absl::StrCat(what, " ", TaskStateName(t.state), " seq ", t.seq));
    causes.push_back(m == nullptr ? "none"
                                  : absl::StrCat(MessageTypeName(m->type),
                                                 " seq ", m->seqnum));
  }
};

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<Channel*> ch = kernel_.CreateChannel(64, true);
    ASSERT_TRUE(ch.ok());
    channel_ = *ch;
  }
  void Drain() {
    ghost_msg msg;
    while (channel_->Pop(&msg)) sched_.Dispatch(msg, 0);
  }
  // A copy of the next message, left unread.
  ghost_msg Next() {
    ghost_msg msg{};
    channel_->Peek(&msg);
    return msg;
  }

  FakeKernel kernel_{{0}};
  RecordingScheduler sched_{kernel_};
  Channel* channel_ = nullptr;
};

TEST_F(SchedulerTest, MessagesBecomeTypedCallbacksWithTheNewState) {
  const uint64_t t = kernel_.Spawn(/*runnable=*/false);
  kernel_.Wake(t);
  Drain();
  EXPECT_THAT(sched_.calls,
              ElementsAre("new blocked seq 1", "wakeup runnable seq 2"));
}

TEST_F(SchedulerTest, EachCallbackGetsTheMessageThatCausedIt) {
  const uint64_t t = kernel_.Spawn(/*runnable=*/false);
  kernel_.Wake(t);
  kernel_.SetAllowed(t, 1);
  kernel_.Exit(t);
  Drain();
  EXPECT_THAT(sched_.causes,
              ElementsAre("NEW seq 1", "WAKEUP seq 2", "AFFINITY_CHANGED seq 3",
                          "DEAD seq 4"));
}

TEST_F(SchedulerTest, AThreadFoundGoneInItsWordHasNoMessage) {
  const uint64_t t = kernel_.Spawn(false);
  Drain();
  kernel_.Exit(t);
  ghost_msg lost;
  channel_->Pop(&lost);  // its DEAD
  sched_.Resync(/*agent_cpu=*/-1, /*adopt_unknown=*/false, nullptr);
  EXPECT_EQ(sched_.calls.back(), "gone dead seq 2");
  EXPECT_EQ(sched_.causes.back(), "none");
}

TEST_F(SchedulerTest, AnOldMessageIsDroppedAsStale) {
  kernel_.Spawn();
  const ghost_msg first = Next();
  Drain();
  sched_.Dispatch(first, 0);  // again
  EXPECT_EQ(sched_.calls.size(), 1u);
  EXPECT_EQ(sched_.stats().stale.load(), 1u);
}

TEST_F(SchedulerTest, AGapIsCountedAndTheMessageStillApplies) {
  const uint64_t t = kernel_.Spawn(false);
  Drain();
  kernel_.Wake(t);
  ghost_msg wake;
  channel_->Pop(&wake);      // lost
  kernel_.SetAllowed(t, 1);  // seq 3: after a gap
  Drain();
  EXPECT_EQ(sched_.stats().gaps.load(), 1u);
  EXPECT_EQ(sched_.tasks().Get(wake.sw_index, t)->seq, 3u);
}

TEST_F(SchedulerTest, AnEdgeTheStateMachineForbidsIsCounted) {
  const uint64_t t = kernel_.Spawn(false);  // blocked
  ghost_msg msg;
  channel_->Pop(&msg);
  sched_.Dispatch(msg, 0);
  msg.type = GHOST_MSG_YIELD;  // a blocked thread cannot yield
  msg.seqnum = 2;
  sched_.Dispatch(msg, 0);
  EXPECT_EQ(sched_.stats().illegal.load(), 1u);
  EXPECT_EQ(sched_.tasks().Get(msg.sw_index, t)->state, TaskState::kRunnable);
}

TEST_F(SchedulerTest, AThreadWhoseNewWasLostIsAdoptedFromItsWord) {
  const uint64_t t = kernel_.Spawn(false);
  ghost_msg lost;
  channel_->Pop(&lost);
  kernel_.Wake(t);
  Drain();
  EXPECT_THAT(sched_.calls, ElementsAre("discovered(was new) runnable seq 2"))
      << "the word already says runnable at 2: the WAKEUP is stale";
  EXPECT_EQ(sched_.stats().adopted.load(), 1u);
}

TEST_F(SchedulerTest, DeathForgetsTheTaskAndFreesItsWord) {
  const uint64_t t = kernel_.Spawn();
  kernel_.Exit(t);
  Drain();
  EXPECT_EQ(sched_.tasks().live(), 0);
  EXPECT_TRUE(kernel_.freed(t));
  EXPECT_EQ(sched_.calls.back(), "gone dead seq 2");
}

TEST_F(SchedulerTest, ResyncCorrectsWhatLostMessagesHid) {
  const uint64_t t = kernel_.Spawn(false);
  Drain();
  kernel_.Wake(t);
  ghost_msg lost;
  channel_->Pop(&lost);
  sched_.Resync(/*agent_cpu=*/-1, /*adopt_unknown=*/false, nullptr);
  EXPECT_EQ(sched_.calls.back(), "discovered(was blocked) runnable seq 2");
}

TEST_F(SchedulerTest, DiscoveryAdoptsEveryThreadAndAssociatesIt) {
  const uint64_t a = kernel_.Spawn(), b = kernel_.Spawn(false);
  absl::StatusOr<Channel*> mine = kernel_.CreateChannel(64, false);
  ASSERT_TRUE(mine.ok());
  sched_.Discover(0, **mine);
  EXPECT_EQ(sched_.tasks().live(), 2);
  kernel_.Wake(b);  // goes to our queue now
  ghost_msg msg;
  ASSERT_TRUE((*mine)->Pop(&msg));
  EXPECT_EQ(msg.gtid, b);
  (void)a;
}

TEST_F(SchedulerTest, CpuMessagesAreNotThreadMessages) {
  ghost_msg msg{.type = 17, .gtid = 0, .cpu = 0};
  sched_.Dispatch(msg, 0);
  EXPECT_TRUE(sched_.calls.empty());
  EXPECT_EQ(sched_.tasks().live(), 0);
}

TEST_F(SchedulerTest, AMessageWithABadWordIndexIsRejected) {
  ghost_msg msg{.type = GHOST_MSG_NEW,
                .seqnum = 1,
                .gtid = 5,
                .sw_index = TaskSlots::kSlots};
  sched_.Dispatch(msg, 0);
  EXPECT_EQ(sched_.stats().bad.load(), 1u);
  EXPECT_TRUE(sched_.calls.empty());
}

}  // namespace
}  // namespace ghost
