// The agent hot path never allocates: thousands of rounds of decoding
// messages and committing decisions, with operator new counted.
#include "gtest/gtest.h"
#include "tests/host/bench/allocation_counter.h"
#include "tests/host/bench/hot_path_loop.h"

namespace ghost::testing {
namespace {

TEST(HotPathAllocTest, PerCpuRoundsAllocateNothing) {
  PerCpuHotPath loop(64);
  loop.Step();  // warm
  const uint64_t before = AllocationCount();
  for (int i = 0; i < 10000; ++i) loop.Step();
  EXPECT_EQ(AllocationCount() - before, 0u);
  EXPECT_GE(loop.commits(), 10000u) << "the loop did schedule";
}

TEST(HotPathAllocTest, CentralizedRoundsAllocateNothing) {
  CentralizedHotPath loop(64);
  loop.Step();
  const uint64_t before = AllocationCount();
  for (int i = 0; i < 10000; ++i) loop.Step();
  EXPECT_EQ(AllocationCount() - before, 0u);
  EXPECT_GE(loop.commits(), 30000u);
}

TEST(HotPathAllocTest, ThreadsComingAndGoingAllocateNothing) {
  // A task claimed for a new thread is a copy of the policy's blank task
  // (its CPU set sized to the machine), and a dead one is reset the same
  // way: neither may allocate.
  PerCpuHotPath loop(4);
  loop.SpawnAndExit();  // warm
  const uint64_t before = AllocationCount();
  for (int i = 0; i < 200; ++i) loop.SpawnAndExit();
  EXPECT_EQ(AllocationCount() - before, 0u);
}

TEST(HotPathAllocTest, TheCounterSeesAnAllocation) {
  const uint64_t before = AllocationCount();
  delete new int(1);
  EXPECT_EQ(AllocationCount() - before, 1u) << "the counter works";
}

}  // namespace
}  // namespace ghost::testing
