// RunRequest/TxnBatch against the fake kernel: a batch is one commit call,
// a sync group is all-or-nothing.
#include "lib/agent/txn.h"

#include "gtest/gtest.h"
#include "tests/host/fakes/fake_kernel.h"

namespace ghost {
namespace {

using ::ghost::testing::FakeKernel;

class TxnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(kernel_.CreateChannel(64, true).ok());
    ASSERT_TRUE(kernel_.AttachAgent(0).ok());
    kernel_.SetCallerCpu(0);
  }
  FakeKernel kernel_{{0, 1, 2}};
};

TEST_F(TxnTest, ABatchIsOneCommitCall) {
  const uint64_t a = kernel_.Spawn(), b = kernel_.Spawn();
  TxnBatch batch(kernel_, 2);
  ASSERT_TRUE(batch.Add({.cpu = 1, .gtid = a, .task_barrier = 1}));
  ASSERT_TRUE(batch.Add({.cpu = 2, .gtid = b, .task_barrier = 1}));
  EXPECT_FALSE(batch.Add({.cpu = 2, .gtid = b})) << "full";
  EXPECT_EQ(batch.Commit(), 2);
  EXPECT_EQ(kernel_.commit_calls(), 1);
  EXPECT_EQ(batch.result(0), GHOST_TXN_COMPLETE);
  EXPECT_EQ(kernel_.cpu_of(b), 2);
}

TEST_F(TxnTest, ACpuCannotBeInABatchTwice) {
  TxnBatch batch(kernel_, 2);
  ASSERT_TRUE(batch.Add({.cpu = 1, .gtid = kernel_.Spawn(), .task_barrier = 1}));
  EXPECT_FALSE(batch.Add({.cpu = 1}));
  EXPECT_EQ(batch.size(), 1);
}

TEST_F(TxnTest, ASyncGroupWithOneStaleMemberLatchesNothing) {
  const uint64_t a = kernel_.Spawn(), b = kernel_.Spawn();
  TxnBatch batch(kernel_, 2);
  batch.Add({.cpu = 1, .gtid = a, .task_barrier = 1});
  batch.Add({.cpu = 2, .gtid = b, .task_barrier = 7});  // stale
  EXPECT_EQ(batch.CommitSyncGroup(), 0);
  EXPECT_EQ(batch.result(0), GHOST_TXN_POISONED);
  EXPECT_EQ(batch.result(1), GHOST_TXN_TARGET_STALE);
  EXPECT_EQ(kernel_.cpu_of(a), -1);
}

TEST_F(TxnTest, CommitOneReportsTheResult) {
  const uint64_t a = kernel_.Spawn(/*runnable=*/false);
  EXPECT_EQ(CommitOne(kernel_, {.cpu = 1, .gtid = a, .task_barrier = 1}),
            GHOST_TXN_TARGET_NOT_RUNNABLE);
  EXPECT_STREQ(TxnResultName(GHOST_TXN_TARGET_NOT_RUNNABLE),
               "TARGET_NOT_RUNNABLE");
}

}  // namespace
}  // namespace ghost
