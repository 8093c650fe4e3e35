// The sched_ext scheduler's decisions (bpf/ghost_scx_logic.h), compiled
// for the host: which result a commit gets, which message a callback
// becomes, the status word a state shows. The BPF program includes the
// same functions.
#include "bpf/ghost_scx_logic.h"

#include "bpf/ghost_scx.h"
#include "gtest/gtest.h"

namespace ghost {
namespace {

ghost_scx_target Runnable(uint64_t gtid, uint32_t seq) {
  return {.gtid = gtid, .seq = seq, .state = GHOST_SCX_RUNNABLE, .cpu = 1,
          .allowed = 1};
}

TEST(ScxCommitVerdict, ARunnableThreadAtItsBarrierIsLatched) {
  const ghost_scx_target t = Runnable(42, 7);
  int already = -1;
  EXPECT_EQ(ghost_scx_commit_verdict(&t, 42, 7, 2, &already),
            GHOST_TXN_COMPLETE);
  EXPECT_EQ(already, 0);
}

TEST(ScxCommitVerdict, AnOlderBarrierIsStale) {
  const ghost_scx_target t = Runnable(42, 8);
  int already;
  EXPECT_EQ(ghost_scx_commit_verdict(&t, 42, 7, 2, &already),
            GHOST_TXN_TARGET_STALE);
}

TEST(ScxCommitVerdict, AnotherThreadInTheWordIsNotFound) {
  const ghost_scx_target t = Runnable(43, 7);
  int already;
  EXPECT_EQ(ghost_scx_commit_verdict(&t, 42, 7, 2, &already),
            GHOST_TXN_TARGET_NOT_FOUND);
}

TEST(ScxCommitVerdict, FreeAndGoneWordsAreNotFound) {
  for (uint32_t state : {GHOST_SCX_FREE, GHOST_SCX_GONE}) {
    ghost_scx_target t = Runnable(42, 7);
    t.state = state;
    int already;
    EXPECT_EQ(ghost_scx_commit_verdict(&t, 42, 7, 2, &already),
              GHOST_TXN_TARGET_NOT_FOUND)
        << state;
  }
}

TEST(ScxCommitVerdict, ABlockedThreadIsNotRunnable) {
  ghost_scx_target t = Runnable(42, 7);
  t.state = GHOST_SCX_BLOCKED;
  int already;
  EXPECT_EQ(ghost_scx_commit_verdict(&t, 42, 7, 2, &already),
            GHOST_TXN_TARGET_NOT_RUNNABLE);
}

TEST(ScxCommitVerdict, RunningElsewhereIsOnCpuAndRunningThereIsDone) {
  ghost_scx_target t = Runnable(42, 7);
  t.state = GHOST_SCX_ONCPU;
  t.cpu = 3;
  int already;
  EXPECT_EQ(ghost_scx_commit_verdict(&t, 42, 7, 2, &already),
            GHOST_TXN_TARGET_ONCPU);
  EXPECT_EQ(ghost_scx_commit_verdict(&t, 42, 7, 3, &already),
            GHOST_TXN_COMPLETE);
  EXPECT_EQ(already, 1);
}

TEST(ScxCommitVerdict, ACpuOutsideItsAffinityIsNotAllowed) {
  ghost_scx_target t = Runnable(42, 7);
  t.allowed = 0;
  int already;
  EXPECT_EQ(ghost_scx_commit_verdict(&t, 42, 7, 2, &already),
            GHOST_TXN_CPU_NOT_ALLOWED);
}

TEST(ScxCommitVerdict, StalenessIsCheckedBeforeState) {
  // As the ghost kernel: a changed thread is stale whatever it became.
  ghost_scx_target t = Runnable(42, 9);
  t.state = GHOST_SCX_BLOCKED;
  int already;
  EXPECT_EQ(ghost_scx_commit_verdict(&t, 42, 7, 2, &already),
            GHOST_TXN_TARGET_STALE);
}

TEST(ScxSlotVerdict, CpuFlagsAndAgentBarrier) {
  EXPECT_EQ(ghost_scx_slot_verdict(0, 0, 0, 0, 0),
            GHOST_TXN_CPU_NOT_IN_ENCLAVE);
  EXPECT_EQ(ghost_scx_slot_verdict(1, 1U << 7, 0, 0, 0), GHOST_TXN_INVALID);
  EXPECT_EQ(ghost_scx_slot_verdict(1, GHOST_RUN_F_ALL, 0, 0, 0), 0);
  EXPECT_EQ(ghost_scx_slot_verdict(1, 0, /*own_cpu=*/1, 4, 5),
            GHOST_TXN_AGENT_STALE);
  EXPECT_EQ(ghost_scx_slot_verdict(1, 0, /*own_cpu=*/1, 5, 5), 0);
  // Another CPU's commit does not check the caller's barrier.
  EXPECT_EQ(ghost_scx_slot_verdict(1, 0, /*own_cpu=*/0, 4, 5), 0);
}

TEST(ScxMessages, StoppingRunnableIsYieldOrPreempted) {
  EXPECT_EQ(ghost_scx_stop_msg(1), GHOST_MSG_YIELD);
  EXPECT_EQ(ghost_scx_stop_msg(0), GHOST_MSG_PREEMPTED);
}

TEST(ScxMessages, QuiescentIsBlockedDeadOrNothing) {
  EXPECT_EQ(ghost_scx_quiescent_msg(GHOST_SCX_DEQ_SLEEP, 0x1),
            GHOST_MSG_BLOCKED);
  EXPECT_EQ(ghost_scx_quiescent_msg(GHOST_SCX_DEQ_SLEEP, 0x102),
            GHOST_MSG_BLOCKED);  // TASK_KILLABLE
  EXPECT_EQ(ghost_scx_quiescent_msg(GHOST_SCX_DEQ_SLEEP, GHOST_SCX_TASK_DEAD),
            GHOST_MSG_DEAD);
  // A property change dequeues without sleeping: no message.
  EXPECT_EQ(ghost_scx_quiescent_msg(0, 0x0), 0);
}

TEST(ScxMessages, NewSaysHowTheThreadEntered) {
  EXPECT_EQ(ghost_scx_new_flags(GHOST_SCX_BLOCKED, 0), 0);
  EXPECT_EQ(ghost_scx_new_flags(GHOST_SCX_RUNNABLE, 0), GHOST_MSG_F_RUNNABLE);
  EXPECT_EQ(ghost_scx_new_flags(GHOST_SCX_ONCPU, 0),
            GHOST_MSG_F_RUNNABLE | GHOST_MSG_F_ON_CPU);
  EXPECT_EQ(ghost_scx_new_flags(GHOST_SCX_BLOCKED, 1), GHOST_MSG_F_FORKED);
}

TEST(ScxStatusWord, FlagsFollowTheState) {
  EXPECT_EQ(ghost_scx_sw_flags(GHOST_SCX_FREE), 0u);
  EXPECT_EQ(ghost_scx_sw_flags(GHOST_SCX_BLOCKED), GHOST_SW_F_INUSE);
  EXPECT_EQ(ghost_scx_sw_flags(GHOST_SCX_RUNNABLE),
            GHOST_SW_F_INUSE | GHOST_SW_F_RUNNABLE);
  EXPECT_EQ(ghost_scx_sw_flags(GHOST_SCX_ONCPU),
            GHOST_SW_F_INUSE | GHOST_SW_F_RUNNABLE | GHOST_SW_F_ONCPU);
  EXPECT_EQ(ghost_scx_sw_flags(GHOST_SCX_GONE),
            GHOST_SW_F_INUSE | GHOST_SW_F_CANFREE);
}

TEST(ScxGtid, NamesItsWordAndIsNeverReused) {
  const uint64_t a = ghost_scx_make_gtid(1, 5);
  const uint64_t b = ghost_scx_make_gtid(2, 5);
  EXPECT_NE(a, b);
  EXPECT_EQ(ghost_scx_gtid_index(a), 5u);
  EXPECT_EQ(ghost_scx_gtid_index(b), 5u);
  EXPECT_EQ(ghost_scx_gtid_index(ghost_scx_make_gtid(7, GHOST_SW_REGION_WORDS - 1)),
            static_cast<uint32_t>(GHOST_SW_REGION_WORDS - 1));
  // Every word index fits the index bits.
  EXPECT_EQ(1u << GHOST_SCX_GTID_INDEX_BITS,
            static_cast<uint32_t>(GHOST_SW_REGION_WORDS));
}

TEST(ScxNice, FromStaticPriority) {
  EXPECT_EQ(ghost_scx_nice(120), 0);
  EXPECT_EQ(ghost_scx_nice(100), -20);
  EXPECT_EQ(ghost_scx_nice(139), 19);
}

}  // namespace
}  // namespace ghost
