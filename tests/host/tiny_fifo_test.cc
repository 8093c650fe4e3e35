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

}  // namespace
}  // namespace ghost
