// Where the centralized FIFO places a thread: an idle CPU of the node it
// last ran on, else of the nearest node, else the first allowed.
#include "schedulers/fifo/centralized/idle_cpu_choice.h"

#include <vector>

#include "gtest/gtest.h"
#include "tests/host/fake_sysfs.h"

namespace ghost::fifo {
namespace {

using ::ghost::testing::FakeNumaSysfs;

auto Any() {
  return [](int) { return true; };
}

class IdleCpuChoiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Nodes {0,1} {2,3} {4,5}: node 1 is 15 from node 2, 30 from node 0.
    const std::string root =
        FakeNumaSysfs("three_nodes", 6, {"0-1", "2-3", "4-5"});
    ghost::testing::WriteSysfsFile(root + "/devices/system/node/node0/distance",
                                   "10 30 30\n");
    ghost::testing::WriteSysfsFile(root + "/devices/system/node/node1/distance",
                                   "30 10 15\n");
    ghost::testing::WriteSysfsFile(root + "/devices/system/node/node2/distance",
                                   "30 15 10\n");
    absl::StatusOr<Topology> t = Topology::FromSysfs(root);
    ASSERT_TRUE(t.ok()) << t.status();
    topo_ = *t;
  }
  std::optional<Topology> topo_;
};

TEST_F(IdleCpuChoiceTest, AnIdleCpuOnTheLastNodeWins) {
  const std::vector<int> idle = {1, 2, 4, 5};
  EXPECT_EQ(ChooseIdleCpu(idle, /*last_cpu=*/5, &*topo_, Any()), 4);
  EXPECT_EQ(ChooseIdleCpu(idle, /*last_cpu=*/0, &*topo_, Any()), 1);
  EXPECT_EQ(ChooseIdleCpu(idle, /*last_cpu=*/3, &*topo_, Any()), 2);
}

TEST_F(IdleCpuChoiceTest, WithoutOneThereTheNearestNodeWins) {
  // Last on node 1, whose CPUs are busy: node 2 is nearer than node 0.
  EXPECT_EQ(ChooseIdleCpu({0, 1, 4, 5}, /*last_cpu=*/2, &*topo_, Any()), 4);
}

TEST_F(IdleCpuChoiceTest, OnlyAllowedCpusCount) {
  auto not_4 = [](int c) { return c != 4; };
  EXPECT_EQ(ChooseIdleCpu({1, 4, 5}, /*last_cpu=*/4, &*topo_, not_4), 5);
  auto none = [](int) { return false; };
  EXPECT_EQ(ChooseIdleCpu({1, 4, 5}, 4, &*topo_, none), -1);
}

TEST_F(IdleCpuChoiceTest, AnUnknownLastCpuTakesTheFirstAllowed) {
  EXPECT_EQ(ChooseIdleCpu({5, 1}, /*last_cpu=*/-1, &*topo_, Any()), 5);
  auto not_5 = [](int c) { return c != 5; };
  EXPECT_EQ(ChooseIdleCpu({5, 1}, -1, &*topo_, not_5), 1);
}

TEST(IdleCpuChoiceNoTopologyTest, TheFirstAllowedCpuWins) {
  EXPECT_EQ(ChooseIdleCpu({3, 1, 2}, /*last_cpu=*/2, nullptr, Any()), 3);
  EXPECT_EQ(ChooseIdleCpu({}, 2, nullptr, Any()), -1);
}

}  // namespace
}  // namespace ghost::fifo
