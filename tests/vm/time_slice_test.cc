// Time slices of the agents on the real kernel, with their default
// options (ghost_agent --policy=fifo_percpu|fifo_centralized|shinjuku, no
// --slice; shinjuku shares the centralized FIFO's slicing and lending):
//
// - twice as many CPU-bound threads as the enclave has CPUs all keep
//   making progress, under a watchdog of 2 s (a fifth of the default),
//   and the watchdog never ends the enclave;
// - process churn (fork + exec + exit + wait) and thread churn beside
//   CPU-bound threads completes within a generous deadline, the enclave
//   lives on, and the kernel reports nothing (the runner's kernel log
//   watch fails a case during which the kernel reported a hung task or
//   any other bug).
//
// Run-to-block FIFO agents failed both: the surplus threads never ran and
// the watchdog destroyed the enclave.
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/abi/enclave.h"
#include "lib/uapi/linux/ghost.h"
#include "tests/vm/agent_fifo_process.h"
#include "tests/vm/agent_process_test.h"
#include "tests/vm/enclave_child.h"
#include "tests/vm/vm_helpers.h"
#include "tests/vm/wait_for.h"

namespace ghost {
namespace {

using ::ghost::testing::AgentFifoProcess;
using ::ghost::testing::AgentProcessTest;
using ::ghost::testing::EnclaveExists;
using ::ghost::testing::FinishInEnclave;
using ::ghost::testing::RunInEnclave;
using ::ghost::testing::StartInEnclave;
using ::ghost::testing::WaitFor;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr unsigned int kEnclaveId = 21;
constexpr char kCpus[] = "1-3";
constexpr int kNrCpus = 3;
constexpr char kAgent[] = "/ghost/bin/ghost_agent";
constexpr char kWorkloads[] = "/ghost/bin/ghost_workloads";

// A fifth of the default: a thread that waits 2 s for a CPU ends the
// enclave. With 4 ms slices a waiting thread gets a CPU within a few
// slices; 2 s leaves room for the emulated VM on a busy host, not for a
// thread that is never run.
constexpr char kWatchdogMs[] = "2000";

// CPU-bound threads in a child in the enclave, each counting its turns
// in memory shared with the test, until told to stop.
struct Spinners {
  static constexpr int kMax = 2 * kNrCpus;
  std::atomic<uint64_t> count[kMax];
  std::atomic<bool> stop{false};

  static Spinners* Make() {
    void* p = mmap(nullptr, sizeof(Spinners), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? nullptr : new (p) Spinners();
  }
  static void Free(Spinners* s) { munmap(s, sizeof(Spinners)); }

  // The child's body: `n` threads that never block.
  int Run(int n) {
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([this, i] {
        while (!stop.load(std::memory_order_relaxed)) {
          count[i].fetch_add(1, std::memory_order_relaxed);
        }
      });
    }
    for (auto& t : threads) t.join();
    return 0;
  }

  // Every one of the first `n` counters moved past `since`.
  bool AllPast(int n, const std::vector<uint64_t>& since) const {
    for (int i = 0; i < n; ++i) {
      if (count[i].load() <= since[i]) return false;
    }
    return true;
  }
  std::vector<uint64_t> Snapshot(int n) const {
    std::vector<uint64_t> v(n);
    for (int i = 0; i < n; ++i) v[i] = count[i].load();
    return v;
  }
};

class TimeSliceTest : public AgentProcessTest {
 protected:
  TimeSliceTest() : AgentProcessTest(kEnclaveId, kCpus, kAgent) {}

  void SetUp() override {
    AgentProcessTest::SetUp();
    if (HasFatalFailure()) return;
    agent_ = Launch(absl::StrCat("--policy=", GetParam()), kAgent);
    ASSERT_TRUE(agent_->WaitForOutput("ready", absl::Seconds(30)))
        << agent_->output();
    ASSERT_TRUE(SetWatchdog(kWatchdogMs).ok());
  }

  void TearDown() override {
    agent_.reset();
    AgentProcessTest::TearDown();
  }

  // The watchdog never fired: the enclave lives, nothing in `destroyed`
  // names it, and the agent exits 0 on SIGTERM.
  void ExpectNoWatchdogTrip() {
    EXPECT_TRUE(EnclaveExists(kEnclaveId))
        << "enclave gone: " << testing::LastDestroyed();
    absl::StatusOr<std::string> destroyed =
        ReadGhostfsFile(absl::StrCat(GHOSTFS_MOUNT_POINT, "/destroyed"));
    if (destroyed.ok()) {
      EXPECT_THAT(*destroyed,
                  Not(HasSubstr(absl::StrCat(kEnclaveId, " watchdog"))));
    }
    ExpectCleanExit(*agent_);
  }

  const Enclave enclave_{kEnclaveId, GHOSTFS_MOUNT_POINT};
  std::unique_ptr<AgentFifoProcess> agent_;
};

TEST_P(TimeSliceTest, TwiceAsManyCpuBoundThreadsAsCpusAllKeepRunning) {
  Spinners* s = Spinners::Make();
  ASSERT_NE(s, nullptr);
  const int n = Spinners::kMax;
  const pid_t child = StartInEnclave(enclave_, [s, n] { return s->Run(n); });
  // Every thread runs, then runs again after all the others did: five
  // rounds of turns, each bounded by the wait limit (a hang, not a pace).
  std::vector<uint64_t> since(n, 0);
  for (int round = 0; round < 5; ++round) {
    EXPECT_TRUE(WaitFor([&] { return s->AllPast(n, since); }))
        << "round " << round << ": some thread did not run again";
    since = s->Snapshot(n);
  }
  s->stop.store(true);
  EXPECT_EQ(FinishInEnclave(child, absl::Seconds(30)), 0);
  ExpectNoWatchdogTrip();
  Spinners::Free(s);
}

// The churn runs in ghost_workloads (experiments/workloads), beside one
// CPU-bound thread per CPU that never blocks.
TEST_P(TimeSliceTest, ChurnBesideCpuBoundThreadsCompletes) {
  ASSERT_EQ(access(kWorkloads, X_OK), 0) << kWorkloads << " is not in the VM";
  Spinners* s = Spinners::Make();
  ASSERT_NE(s, nullptr);
  const pid_t hogs =
      StartInEnclave(enclave_, [s] { return s->Run(kNrCpus); });
  for (const char* workload : {"--workload=exec", "--workload=threads"}) {
    // Generous: the same work takes 2-10 s here; it only bounds a hang.
    const int code = RunInEnclave(enclave_, absl::Seconds(180), [workload] {
      execl(kWorkloads, kWorkloads, workload, "--threads=3", "--ops=100",
            "--limit=170s", nullptr);
      return 127;
    });
    EXPECT_EQ(code, 0) << workload << " did not complete";
  }
  s->stop.store(true);
  EXPECT_EQ(FinishInEnclave(hogs, absl::Seconds(30)), 0);
  ExpectNoWatchdogTrip();
  Spinners::Free(s);
}

INSTANTIATE_TEST_SUITE_P(Policies, TimeSliceTest,
                         ::testing::Values("fifo_percpu", "fifo_centralized",
                                           "shinjuku"),
                         [](const auto& info) {
                           return std::string(info.param);
                         });

}  // namespace
}  // namespace ghost
