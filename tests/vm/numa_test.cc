// NUMA on a lab VM with two nodes: `tools/ghost lab test` boots one
// (-smp 6 --numa 2) for the Numa* cases alone, and leaves them out of its
// one-node boot. libnuma must see the nodes QEMU described, as sysfs does,
// and the centralized FIFO agent must run a thread on an idle CPU of the
// node the thread last ran on, on the real kernel.
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/abi/enclave.h"
#include "lib/abi/ghostfs_mount.h"
#include "lib/util/cpu_list.h"
#include "lib/util/topology.h"
#include "tests/vm/agent_fifo_process.h"
#include "tests/vm/vm_helpers.h"
#include "tests/vm/wait_for.h"

namespace ghost {
namespace {

using ::ghost::testing::AgentFifoProcess;
using ::ghost::testing::DestroyAllEnclaves;
using ::ghost::testing::ReapWithin;
using ::ghost::testing::WaitFor;
using ::ghost::testing::WaitUntilBlocked;

constexpr unsigned int kEnclaveId = 23;
constexpr char kGhostAgent[] = "/ghost/bin/ghost_agent";

class NumaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<Topology> t = Topology::FromMachine();
    ASSERT_TRUE(t.ok()) << t.status();
    topo_ = *t;
    ASSERT_GE(topo_->nodes(), 2)
        << "a one-node VM: boot it with --numa 2 (lab test does, for Numa*)";
  }

  std::optional<Topology> topo_;
};

TEST_F(NumaTest, LibnumaSeesTheNodesAsSysfsDescribesThem) {
  absl::StatusOr<Topology> sysfs = Topology::FromSysfs("/sys");
  ASSERT_TRUE(sysfs.ok()) << sysfs.status();
  ASSERT_EQ(topo_->nodes(), sysfs->nodes());
  ASSERT_EQ(topo_->cpus(), sysfs->cpus());
  std::vector<int> cpus_per_node(topo_->nodes(), 0);
  for (int cpu : topo_->cpus()) {
    EXPECT_EQ(topo_->NodeOf(cpu), sysfs->NodeOf(cpu)) << "CPU " << cpu;
    ASSERT_GE(topo_->NodeOf(cpu), 0) << "CPU " << cpu;
    cpus_per_node[topo_->NodeOf(cpu)]++;
  }
  for (int n = 0; n < topo_->nodes(); ++n) {
    EXPECT_GT(cpus_per_node[n], 0) << "node " << n << " has no CPU";
    EXPECT_EQ(topo_->Distance(n, n), 10) << "node " << n;
    for (int m = 0; m < topo_->nodes(); ++m) {
      EXPECT_EQ(topo_->Distance(n, m), sysfs->Distance(n, m));
      if (m != n) EXPECT_GT(topo_->Distance(n, m), 10);
    }
  }
}

// What the thread reports, in memory shared with the test.
struct Report {
  std::atomic<int> cpu{-1};  // where it ran after its wakeup
  std::atomic<bool> stop{false};
};

// Runs on `cpu`, then may run anywhere, and sleeps reading `pipe_fd`
// without leaving `cpu` (task_cpu stays there); once woken, reports
// where it runs until told to stop.
[[noreturn]] void LastOnThenWake(int cpu, int pipe_fd, Report* report) {
  cpu_set_t all = ghost::testing::PinTo(cpu);
  while (sched_getcpu() != cpu) sched_yield();
  // Allowed everywhere again; a running thread is not moved for that.
  sched_setaffinity(0, sizeof(all), &all);
  char c;
  if (read(pipe_fd, &c, 1) != 1) _exit(2);
  while (!report->stop.load()) report->cpu.store(sched_getcpu());
  _exit(0);
}

TEST_F(NumaTest, TheCentralizedFifoRunsAThreadOnTheNodeItLastRanOn) {
  ASSERT_EQ(access(kGhostAgent, X_OK), 0) << kGhostAgent << " is not in the VM";
  ASSERT_TRUE(EnsureGhostfsMounted(GHOSTFS_MOUNT_POINT).ok());
  DestroyAllEnclaves();
  // The enclave is every CPU but 0; its first CPU holds the global agent.
  // The thread last ran on the last CPU (the last node). A free CPU of
  // node 0 comes first in the agent's order, so only the preference for
  // the thread's node keeps it off node 0.
  std::vector<int> cpus(topo_->cpus().begin() + 1, topo_->cpus().end());
  const int last = cpus.back();
  const int far_node = topo_->NodeOf(last);
  int node0_free = 0;
  for (int cpu : cpus) node0_free += topo_->NodeOf(cpu) == 0 && cpu != cpus[0];
  ASSERT_NE(far_node, 0);
  ASSERT_GE(node0_free, 1) << "node 0 needs a CPU besides 0 and the global "
                              "agent's: boot with -smp 6 --numa 2";

  AgentFifoProcess agent({"--policy=fifo_centralized",
                          absl::StrCat("--cpus=", FormatCpuList(cpus)),
                          absl::StrCat("--enclave=", kEnclaveId)},
                         kGhostAgent);
  ASSERT_TRUE(agent.WaitForOutput("ready", absl::Seconds(30)))
      << agent.output();

  void* mem = mmap(nullptr, sizeof(Report), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mem, MAP_FAILED);
  Report* report = new (mem) Report();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  if (child == 0) LastOnThenWake(last, fds[0], report);
  // Whatever fails below, no child is left holding the VM's output open.
  bool reaped = false;
  absl::Cleanup reap = [&] {
    if (!reaped) {
      kill(child, SIGKILL);
      waitpid(child, nullptr, 0);
    }
    close(fds[0]);
    close(fds[1]);
    munmap(mem, sizeof(Report));
  };
  ASSERT_TRUE(WaitUntilBlocked(child)) << "the thread never went to sleep";

  Enclave enclave(kEnclaveId, GHOSTFS_MOUNT_POINT);
  ASSERT_TRUE(enclave.AddTask(child).ok());
  ASSERT_EQ(write(fds[1], "x", 1), 1);
  ASSERT_TRUE(WaitFor([&] { return report->cpu.load() >= 0; }))
      << "the thread did not run in the enclave; agent: " << agent.output();
  const int ran_on = report->cpu.load();
  EXPECT_EQ(topo_->NodeOf(ran_on), far_node)
      << "it last ran on CPU " << last << " (node " << far_node
      << ") and ran on CPU " << ran_on << " (node " << topo_->NodeOf(ran_on)
      << ")";

  report->stop.store(true);
  int status = 0;
  reaped = ReapWithin(child, absl::Seconds(20), &status);
  EXPECT_TRUE(reaped) << "the thread did not stop";
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.WaitExit(absl::Seconds(20)), 0) << agent.output();
  DestroyAllEnclaves();
}

}  // namespace
}  // namespace ghost
