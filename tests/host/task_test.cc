// The task state machine (every edge) and the intrusive run queue.
#include "lib/agent/task.h"

#include <vector>

#include "gtest/gtest.h"
#include "lib/agent/run_queue.h"
#include "lib/agent/task_table.h"

namespace ghost {
namespace {

using S = TaskState;

struct Edge {
  S from;
  uint16_t type;
  uint16_t flags;
  S to;
  bool legal;
};

TEST(TaskStateTest, EveryMessageMovesTheStateAsTheAbiSays) {
  const std::vector<Edge> edges = {
      {S::kNew, GHOST_MSG_NEW, GHOST_MSG_F_RUNNABLE, S::kRunnable, true},
      {S::kNew, GHOST_MSG_NEW, GHOST_MSG_F_ON_CPU | GHOST_MSG_F_RUNNABLE,
       S::kRunning, true},
      {S::kNew, GHOST_MSG_NEW, 0, S::kBlocked, true},
      {S::kRunnable, GHOST_MSG_NEW, 0, S::kBlocked, false},
      {S::kBlocked, GHOST_MSG_WAKEUP, 0, S::kRunnable, true},
      {S::kRunning, GHOST_MSG_WAKEUP, 0, S::kRunnable, false},
      {S::kRunning, GHOST_MSG_BLOCKED, 0, S::kBlocked, true},
      {S::kRunnable, GHOST_MSG_BLOCKED, 0, S::kBlocked, false},
      {S::kRunning, GHOST_MSG_YIELD, 0, S::kRunnable, true},
      {S::kRunning, GHOST_MSG_PREEMPTED, 0, S::kRunnable, true},
      {S::kBlocked, GHOST_MSG_PREEMPTED, 0, S::kRunnable, false},
      {S::kRunning, GHOST_MSG_AFFINITY_CHANGED, 0, S::kRunning, true},
      {S::kBlocked, GHOST_MSG_PRIORITY_CHANGED, 0, S::kBlocked, true},
      {S::kRunning, GHOST_MSG_DEAD, 0, S::kDead, true},
      {S::kBlocked, GHOST_MSG_DEPARTED, 0, S::kDeparted, true},
      {S::kRunnable, GHOST_MSG_DEAD, 0, S::kDead, true},
      {S::kDead, GHOST_MSG_WAKEUP, 0, S::kRunnable, false},
      {S::kDeparted, GHOST_MSG_DEAD, 0, S::kDead, false},
      {S::kNew, GHOST_MSG_DEAD, 0, S::kDead, false},
      {S::kBlocked, 99, 0, S::kBlocked, false},
  };
  for (const Edge& e : edges) {
    const Transition t = NextState(e.from, e.type, e.flags);
    EXPECT_EQ(t.to, e.to) << TaskStateName(e.from) << " + type " << e.type;
    EXPECT_EQ(t.legal, e.legal)
        << TaskStateName(e.from) << " + type " << e.type;
  }
}

TEST(TaskStateTest, StatusWordFlagsGiveTheState) {
  EXPECT_EQ(StateFromStatusWordFlags(GHOST_SW_F_INUSE), S::kBlocked);
  EXPECT_EQ(StateFromStatusWordFlags(GHOST_SW_F_INUSE | GHOST_SW_F_RUNNABLE),
            S::kRunnable);
  EXPECT_EQ(StateFromStatusWordFlags(GHOST_SW_F_INUSE | GHOST_SW_F_RUNNABLE |
                                     GHOST_SW_F_ONCPU),
            S::kRunning);
  EXPECT_EQ(StateFromStatusWordFlags(GHOST_SW_F_INUSE | GHOST_SW_F_CANFREE),
            S::kDead);
}

// A policy's task type, as the run queue and the table hold it.
struct QueuedTask : Task, RunQueueLinks<QueuedTask> {
  bool refused = false;
  int64_t queued_ns = 0;
};

TEST(RunQueueTest, IsFirstInFirstOutWithFrontInsertionAndRemoval) {
  QueuedTask a, b, c, d;
  RunQueue<QueuedTask> rq;
  rq.PushBack(&a);
  rq.PushBack(&b);
  rq.PushFront(&c);
  rq.PushBack(&d);
  EXPECT_EQ(rq.size(), 4u);
  rq.Remove(&b);
  EXPECT_FALSE(b.queued());
  EXPECT_EQ(rq.PopFront(), &c);
  EXPECT_EQ(rq.PopFront(), &a);
  EXPECT_EQ(rq.PopFront(), &d);
  EXPECT_EQ(rq.PopFront(), nullptr);
  EXPECT_TRUE(rq.empty());
}

TEST(RunQueueTest, PopFirstSkipsWhatThePredicateRejects) {
  QueuedTask a, b;
  a.refused = true;
  RunQueue<QueuedTask> rq;
  rq.PushBack(&a);
  rq.PushBack(&b);
  auto ok = [](QueuedTask* t) { return !t->refused; };
  EXPECT_EQ(rq.PopFirst(ok), &b);
  EXPECT_EQ(rq.size(), 1u);
  EXPECT_EQ(rq.PopFirst(ok), nullptr);
}

TEST(RunQueueTest, RemovingFromAnotherQueueIsANoOp) {
  QueuedTask a;
  RunQueue<QueuedTask> one, two;
  one.PushBack(&a);
  two.Remove(&a);
  EXPECT_EQ(one.size(), 1u);
  EXPECT_TRUE(a.queued());
}

TEST(TaskTableTest, FindsByWordAndGtidAndCountsLiveTasks) {
  TaskTable<Task> table;
  Task* t = table.Claim(5, 42);
  EXPECT_EQ(table.Get(5, 42), t);
  EXPECT_EQ(table.Get(5, 43), nullptr) << "another thread's word";
  EXPECT_EQ(table.Get(TaskTable<Task>::kSlots, 42), nullptr);
  EXPECT_EQ(table.live(), 1);
  table.Release(t);
  EXPECT_EQ(table.Get(5, 42), nullptr);
  EXPECT_EQ(table.live(), 0);
}

TEST(TaskTableTest, AClaimedSlotStartsAsTheBlankWithNothingOfItsLastThread) {
  QueuedTask blank;
  blank.queued_ns = -1;  // the policy's own starting value
  TaskTable<QueuedTask> table(blank);
  QueuedTask* t = table.Claim(7, 100);
  EXPECT_EQ(t->queued_ns, -1);
  t->refused = true;
  t->queued_ns = 5;
  t->seq = 9;
  table.Release(t);
  QueuedTask* again = table.Claim(7, 200);
  EXPECT_EQ(again->gtid, 200u);
  EXPECT_EQ(again->sw_index, 7u);
  EXPECT_FALSE(again->refused);
  EXPECT_EQ(again->queued_ns, -1);
  EXPECT_EQ(again->seq, 0u);
}

TEST(TaskTableTest, TheFrameworkSeesThePolicysTasksAsTasks) {
  TaskTable<QueuedTask> table;
  TaskSlots& slots = table;
  QueuedTask* t = table.Claim(3, 30);
  table.Claim(4, 40);
  EXPECT_EQ(slots.Get(3, 30), t);
  int seen = 0;
  slots.ForEachTask(
      [&](Task* task) { seen += task->gtid == 30 || task->gtid == 40; });
  EXPECT_EQ(seen, 2);
  slots.Release(t);
  EXPECT_EQ(table.live(), 1);
}

}  // namespace
}  // namespace ghost
