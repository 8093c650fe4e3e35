// A sysfs tree in the test's temporary folder, for code that reads the
// machine's topology from any root (Topology::FromSysfs).
//
//   const std::string root = FakeSysfsRoot("two_nodes");
//   WriteSysfsFile(root + "/devices/system/cpu/online", "0-3\n");
#ifndef GHOST_TESTS_HOST_FAKE_SYSFS_H_
#define GHOST_TESTS_HOST_FAKE_SYSFS_H_

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace ghost::testing {

// A fresh root named `name` under $TEST_TMPDIR.
inline std::string FakeSysfsRoot(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

// Writes `text` to `path`, making its folders.
inline void WriteSysfsFile(const std::string& path, const std::string& text) {
  for (size_t i = 1; i < path.size(); ++i) {
    if (path[i] == '/') mkdir(path.substr(0, i).c_str(), 0755);
  }
  std::ofstream(path) << text;
}

// `cpus` online CPUs, no caches or siblings, in NUMA nodes given by their
// CPU lists ("0-1", "2-3"); each node `remote` from the others.
inline std::string FakeNumaSysfs(const std::string& name, int cpus,
                                 const std::vector<std::string>& nodes,
                                 int remote = 20) {
  const std::string root = FakeSysfsRoot(name);
  WriteSysfsFile(root + "/devices/system/cpu/online",
                 "0-" + std::to_string(cpus - 1) + "\n");
  for (size_t n = 0; n < nodes.size(); ++n) {
    const std::string dir =
        root + "/devices/system/node/node" + std::to_string(n);
    WriteSysfsFile(dir + "/cpulist", nodes[n] + "\n");
    std::string row;
    for (size_t to = 0; to < nodes.size(); ++to) {
      row += (to ? " " : "") + std::to_string(to == n ? 10 : remote);
    }
    WriteSysfsFile(dir + "/distance", row + "\n");
  }
  return root;
}

}  // namespace ghost::testing

#endif  // GHOST_TESTS_HOST_FAKE_SYSFS_H_
