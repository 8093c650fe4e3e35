// The tutorial policy (docs/writing-a-scheduler.md) does what the document
// says, against the fake kernel.
#include "schedulers/tiny_fifo/tiny_fifo_scheduler.h"

#include "gtest/gtest.h"
#include "tests/host/fakes/fake_kernel.h"

namespace ghost {
namespace {

using ::ghost::testing::FakeKernel;

class TinyFifoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sched_.Init().ok());
    sched_.AgentAttached(1, *kernel_.AttachAgent(1));
    sched_.AllAttached();
    kernel_.SetCallerCpu(1);
  }
  FakeKernel kernel_{{1}};
  TinyFifoScheduler sched_{kernel_, 1};
};

TEST_F(TinyFifoTest, RunsThreadsInArrivalOrderUntilTheyBlock) {
  const uint64_t a = kernel_.Spawn(), b = kernel_.Spawn();
  sched_.Round(1);
  EXPECT_EQ(kernel_.running_gtid(1), a);
  sched_.Round(1);
  EXPECT_EQ(kernel_.running_gtid(1), a) << "no preemption";
  kernel_.Block(a);
  sched_.Round(1);
  EXPECT_EQ(kernel_.running_gtid(1), b);
}

TEST_F(TinyFifoTest, AYieldGoesToTheBack) {
  const uint64_t a = kernel_.Spawn(), b = kernel_.Spawn();
  sched_.Round(1);
  kernel_.Yield(a);
  sched_.Round(1);
  EXPECT_EQ(kernel_.running_gtid(1), b);
}

TEST_F(TinyFifoTest, ExitedThreadsLeaveTheTable) {
  const uint64_t a = kernel_.Spawn();
  sched_.Round(1);
  kernel_.Exit(a);
  sched_.Round(1);
  EXPECT_EQ(sched_.tasks().live(), 0);
  EXPECT_TRUE(kernel_.freed(a));
}

// CPU_NOT_ALLOWED comes with no message: a policy that dropped the thread
// would never run it again.
TEST_F(TinyFifoTest, AThreadRefusedThisCpuRunsOnceItsAffinityAllowsIt) {
  const uint64_t a = kernel_.Spawn();
  kernel_.SetAllowed(a, uint64_t{1} << 2);
  sched_.Round(1);
  EXPECT_EQ(kernel_.running_gtid(1), 0u);
  kernel_.SetAllowed(a, uint64_t{1} << 1);
  sched_.Round(1);
  EXPECT_EQ(kernel_.running_gtid(1), a);
}

TEST_F(TinyFifoTest, AThreadRefusedThisCpuDoesNotHoldUpTheOthers) {
  const uint64_t a = kernel_.Spawn(), b = kernel_.Spawn();
  kernel_.SetAllowed(a, uint64_t{1} << 2);
  const int sleeps = kernel_.blocks();
  sched_.Round(1);
  EXPECT_EQ(kernel_.blocks(), sleeps) << "no event would wake the agent";
  sched_.Round(1);
  EXPECT_EQ(kernel_.running_gtid(1), b);
}

}  // namespace
}  // namespace ghost
