// Topology from a fake sysfs tree: two nodes, two L3s, SMT pairs.
#include "lib/util/topology.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/host/fake_sysfs.h"

namespace ghost {
namespace {

using ::ghost::testing::FakeSysfsRoot;
constexpr auto Write = ::ghost::testing::WriteSysfsFile;

// 8 CPUs: cores {0,4} {1,5} {2,6} {3,7}; L3 {0,1,4,5} {2,3,6,7}; nodes
// the same as the L3s, except that `one_node` puts everything on node 0.
std::string FakeSysfs(const std::string& name, bool with_nodes) {
  const std::string root = FakeSysfsRoot(name);
  const std::string cpu = root + "/devices/system/cpu";
  Write(cpu + "/online", "0-7\n");
  for (int c = 0; c < 8; ++c) {
    const std::string d = absl::StrCat(cpu, "/cpu", c);
    Write(d + "/topology/thread_siblings_list",
          absl::StrCat(c % 4, ",", c % 4 + 4, "\n"));
    Write(d + "/cache/index0/level", "1\n");
    Write(d + "/cache/index0/shared_cpu_list",
          absl::StrCat(c % 4, ",", c % 4 + 4, "\n"));
    Write(d + "/cache/index3/level", "3\n");
    Write(d + "/cache/index3/shared_cpu_list",
          c % 4 < 2 ? "0-1,4-5\n" : "2-3,6-7\n");
  }
  if (with_nodes) {
    Write(root + "/devices/system/node/node0/cpulist", "0-1,4-5\n");
    Write(root + "/devices/system/node/node1/cpulist", "2-3,6-7\n");
    Write(root + "/devices/system/node/node0/distance", "10 21\n");
    Write(root + "/devices/system/node/node1/distance", "21 10\n");
  }
  return root;
}

TEST(TopologyTest, ReadsSiblingsCachesAndNodes) {
  absl::StatusOr<Topology> t = Topology::FromSysfs(FakeSysfs("a", true));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->cpus().size(), 8u);
  EXPECT_EQ(t->CoreOf(5), 1);
  EXPECT_EQ(t->CoreOf(1), 1);
  EXPECT_EQ(t->L3Of(6), 2);
  EXPECT_EQ(t->L3Of(4), 0);
  EXPECT_EQ(t->NodeOf(7), 1);
  EXPECT_EQ(t->NodeOf(0), 0);
  EXPECT_EQ(t->CoreOf(9), -1);
}

TEST(TopologyTest, ClosestPrefersSiblingThenL3ThenNode) {
  absl::StatusOr<Topology> t = Topology::FromSysfs(FakeSysfs("b", true));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->Closest(1, {2, 0, 5}), 5);  // SMT sibling
  EXPECT_EQ(t->Closest(1, {2, 0}), 0);     // same L3
  EXPECT_EQ(t->Closest(1, {2, 3}), 2);     // anything
  EXPECT_EQ(t->Closest(1, {1}), -1);       // not itself
  EXPECT_EQ(t->Closest(1, {}), -1);
}

TEST(TopologyTest, NoNodeDirectoryMeansOneNode) {
  absl::StatusOr<Topology> t = Topology::FromSysfs(FakeSysfs("c", false));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->NodeOf(7), 0);
  EXPECT_EQ(t->NodeOf(0), 0);
  EXPECT_EQ(t->nodes(), 1);
  EXPECT_EQ(t->Distance(0, 0), 10);
  EXPECT_EQ(t->Distance(0, 1), -1) << "there is no node 1";
}

TEST(TopologyTest, ReadsNodeDistances) {
  absl::StatusOr<Topology> t = Topology::FromSysfs(FakeSysfs("d", true));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->nodes(), 2);
  EXPECT_EQ(t->Distance(0, 0), 10);
  EXPECT_EQ(t->Distance(0, 1), 21);
  EXPECT_EQ(t->Distance(1, 0), 21);
  EXPECT_EQ(t->Distance(1, 1), 10);
  EXPECT_EQ(t->Distance(-1, 0), -1);
  EXPECT_EQ(t->Distance(2, 0), -1);
}

TEST(TopologyTest, NodesWithoutDistanceFilesAreTwentyApart) {
  const std::string root = FakeSysfs("e", false);
  Write(root + "/devices/system/node/node0/cpulist", "0-3\n");
  Write(root + "/devices/system/node/node1/cpulist", "4-7\n");
  absl::StatusOr<Topology> t = Topology::FromSysfs(root);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->nodes(), 2);
  EXPECT_EQ(t->NodeOf(5), 1);
  EXPECT_EQ(t->Distance(0, 1), 20);
  EXPECT_EQ(t->Distance(1, 1), 10);
}

// libnuma and our reading of sysfs describe this machine the same way.
TEST(TopologyTest, TheMachineAsLibnumaSeesItMatchesSysfs) {
  absl::StatusOr<Topology> machine = Topology::FromMachine();
  ASSERT_TRUE(machine.ok()) << machine.status();
  absl::StatusOr<Topology> sysfs = Topology::FromSysfs("/sys");
  ASSERT_TRUE(sysfs.ok()) << sysfs.status();
  EXPECT_EQ(machine->cpus(), sysfs->cpus());
  ASSERT_EQ(machine->nodes(), sysfs->nodes());
  for (int cpu : machine->cpus()) {
    EXPECT_EQ(machine->NodeOf(cpu), sysfs->NodeOf(cpu)) << "CPU " << cpu;
    EXPECT_EQ(machine->CoreOf(cpu), sysfs->CoreOf(cpu)) << "CPU " << cpu;
  }
  for (int a = 0; a < machine->nodes(); ++a) {
    for (int b = 0; b < machine->nodes(); ++b) {
      EXPECT_EQ(machine->Distance(a, b), sysfs->Distance(a, b))
          << "nodes " << a << " and " << b;
    }
  }
}

TEST(TopologyTest, AMissingRootIsAClearError) {
  absl::StatusOr<Topology> t = Topology::FromSysfs("/nonexistent/sysfs");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(t.status().message().find("/nonexistent/sysfs"),
            absl::string_view::npos);
}

}  // namespace
}  // namespace ghost
