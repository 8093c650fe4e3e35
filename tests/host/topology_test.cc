// Topology from a fake sysfs tree: two nodes, two L3s, SMT pairs.
#include "lib/util/topology.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace ghost {
namespace {

void Write(const std::string& path, const std::string& text) {
  std::string dir = path.substr(0, path.rfind('/'));
  std::string partial;
  for (size_t i = 1; i <= dir.size(); ++i) {
    if (i == dir.size() || dir[i] == '/') mkdir(dir.substr(0, i).c_str(), 0755);
  }
  std::ofstream(path) << text;
}

// 8 CPUs: cores {0,4} {1,5} {2,6} {3,7}; L3 {0,1,4,5} {2,3,6,7}; nodes
// the same as the L3s, except that `one_node` puts everything on node 0.
std::string FakeSysfs(const std::string& name, bool with_nodes) {
  const std::string root =
      absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
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
