// An agent and the CPU it is pinned to (docs/kernel-rules.md K3, K5, K14):
// it leaves when its CPU leaves the enclave, it gets its affinity back once
// it is no agent, and however it behaves it cannot keep the kernel's own
// per-CPU work from running.
#include <fcntl.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "lib/abi/enclave.h"
#include "lib/abi/fd.h"
#include "lib/abi/ghost_run.h"
#include "lib/abi/ghostfs_mount.h"
#include "lib/uapi/linux/ghost.h"
#include "tests/vm/vm_helpers.h"
#include "tests/vm/wait_for.h"

namespace ghost {
namespace {

using ::ghost::testing::DestroyAllEnclaves;

// Waits up to `limit` for `done`.
template <typename Pred>
bool Within(absl::Duration limit, Pred done) {
  return testing::WaitFor(done, limit);
}

std::string AgentsOnline(const Enclave& e) {
  absl::StatusOr<std::string> n = ReadGhostfsFile(e.dir() + "/agent_online");
  return n.ok() ? *n : n.status().ToString();
}

// A thread that attaches as the agent of `cpu`, then waits (blocked, so
// the CPU stays usable) until told to check whether it may change its
// affinity again; it reports what sched_setaffinity() said.
class WaitingAgent {
 public:
  WaitingAgent(const Enclave& e, int cpu) : dir_(*OpenEnclaveDir(e.dir())) {
    thread_ = std::thread([this, cpu] {
      attached_.store(AttachAgent(dir_.get(), cpu).ok() ? 1 : -1);
      while (go_.load() == 0) go_.wait(0);
      cpu_set_t all;
      CPU_ZERO(&all);
      for (int c = 0; c < 4; ++c) CPU_SET(c, &all);
      setaffinity_errno_.store(
          sched_setaffinity(0, sizeof(all), &all) == 0 ? 0 : errno);
      testing::MoveToCfs(0);
    });
    (void)testing::WaitFor([this] { return attached_.load() != 0; });
  }
  ~WaitingAgent() {
    go_.store(1);
    go_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  bool attached() const { return attached_.load() == 1; }
  // Wakes it; returns the errno of its sched_setaffinity() (0: it worked).
  int TryToChangeAffinity() {
    go_.store(1);
    go_.notify_all();
    thread_.join();
    return setaffinity_errno_.load();
  }

 private:
  Fd dir_;
  std::thread thread_;
  std::atomic<int> attached_{0};
  std::atomic<int> go_{0};
  std::atomic<int> setaffinity_errno_{-1};
};

class AgentCpuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(EnsureGhostfsMounted(GHOSTFS_MOUNT_POINT).ok());
    DestroyAllEnclaves();
    absl::StatusOr<Enclave> e = Enclave::Create(25);
    ASSERT_TRUE(e.ok()) << e.status();
    enclave_.emplace(*e);
    ASSERT_TRUE(enclave_->SetCpus("1-2").ok());
  }
  void TearDown() override { DestroyAllEnclaves(); }

  std::optional<Enclave> enclave_;
};

TEST_F(AgentCpuTest, ACpuThatLeavesTheEnclaveTakesItsAgentOut) {
  WaitingAgent agent(*enclave_, 2);
  ASSERT_TRUE(agent.attached());
  ASSERT_EQ(AgentsOnline(*enclave_), "1\n");
  ASSERT_TRUE(enclave_->SetCpus("1").ok());
  EXPECT_EQ(AgentsOnline(*enclave_), "0\n");
  // The CPU is free for another enclave, and for its agent.
  absl::StatusOr<Enclave> other = Enclave::Create(26);
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_TRUE(other->SetCpus("2").ok());
  WaitingAgent next(*other, 2);
  EXPECT_TRUE(next.attached()) << "CPU 2 still has the old agent";
}

TEST_F(AgentCpuTest, AFormerAgentMayChangeItsAffinityAgain) {
  WaitingAgent agent(*enclave_, 2);
  ASSERT_TRUE(agent.attached());
  ASSERT_TRUE(enclave_->Destroy().ok());
  EXPECT_EQ(agent.TryToChangeAffinity(), 0)
      << "it is pinned for good (PF_NO_SETAFFINITY was never cleared)";
}

// An agent that never blocks holds its CPU above every other class; the
// kernel still lets that CPU's kworkers run, so a caller waiting for work
// on every CPU (schedule_on_each_cpu(), as vm/stat_refresh does) finishes.
TEST_F(AgentCpuTest, ASpinningAgentLetsPerCpuKernelWorkRun) {
  absl::StatusOr<Fd> dir = OpenEnclaveDir(enclave_->dir());
  ASSERT_TRUE(dir.ok());
  std::atomic<int> attached{0};
  std::atomic<bool> stop{false};
  std::thread agent([&] {
    attached.store(AttachAgent(dir->get(), 1).ok() ? 1 : -1);
    const absl::Time end = absl::Now() + absl::Seconds(30);
    while (!stop.load() && absl::Now() < end) {
    }
    testing::MoveToCfs(0);
  });
  ASSERT_TRUE(testing::WaitFor([&] { return attached.load() != 0; }));
  ASSERT_EQ(attached.load(), 1);
  std::atomic<bool> refreshed{false};
  std::thread refresher([&] {
    testing::PinTo(0);
    (void)WriteGhostfsFile("/proc/sys/vm/stat_refresh", "1");
    refreshed.store(true);
  });
  EXPECT_TRUE(Within(absl::Seconds(10), [&] { return refreshed.load(); }))
      << "the kworker of the agent's CPU never ran";
  stop.store(true);
  agent.join();
  refresher.join();
}

}  // namespace
}  // namespace ghost
