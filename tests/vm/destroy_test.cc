// Destroying an enclave whose threads no agent runs (kernel rule K15, and
// the watchdog's own destroy): the destroyer must evict them, so it may not
// wait for anything they hold.
//
// A thread that moves itself into an enclave becomes a ghost thread inside
// its own policy change. When another task waits on its CPU it is preempted
// there at once, before that change returns, and from then on only an agent
// runs it. A destroyer that waits for the entry to finish (the kernel once
// held a mutex across it) waits for good when the agent is stopped or
// ignores the thread.
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "lib/abi/enclave.h"
#include "lib/abi/ghost_run.h"
#include "lib/abi/ghostfs_mount.h"
#include "tests/vm/cfs_hog.h"
#include "tests/vm/manual_agent.h"
#include "tests/vm/manual_agent_test.h"
#include "tests/vm/vm_helpers.h"
#include "tests/vm/wait_for.h"

namespace ghost {
namespace {

using ::ghost::testing::CfsHog;
using ::ghost::testing::ManualAgent;
using ::ghost::testing::ManualAgentTest;
using ::ghost::testing::WaitFor;

constexpr unsigned int kEnclaveId = 37;
constexpr int kAgentCpu = 1;
constexpr int kEntryCpu = 2;
// Evicting one thread takes milliseconds; the emulated VM gets room.
constexpr absl::Duration kDestroyLimit = absl::Seconds(10);

class DestroyTest : public ManualAgentTest {
 protected:
  DestroyTest() : ManualAgentTest(kEnclaveId, "1-2") {}
};

TEST_F(DestroyTest, ADestroyDoesNotWaitForAThreadPreemptedAsItEntered) {
  ManualAgent& m = *agent_;
  // Keeps CPU 2 busy, so the entering thread is preempted the moment it
  // becomes a ghost thread.
  CfsHog hog(kEntryCpu);
  std::atomic<pid_t> tid{0};
  std::atomic<int> entry_result{1};  // 1: its write has not returned
  std::thread entering([&] {
    testing::PinTo(kEntryCpu);
    tid.store(static_cast<pid_t>(syscall(SYS_gettid)));
    Enclave e(kEnclaveId, GHOSTFS_MOUNT_POINT);
    const absl::Status s = e.AddTask(tid.load());
    entry_result.store(s.ok() ? 0 : -1);
  });

  // The agent attached (an enclave with an agent is not in bypass) never
  // latches the thread, as a stopped agent would not.
  m.AsAgent(kAgentCpu, [&] {
    ASSERT_TRUE(WaitFor([&] { return tid.load() != 0; }));
    std::optional<uint64_t> gtid;
    ASSERT_TRUE(WaitFor([&] {
      absl::StatusOr<uint64_t> g = GetGtid(tid.load());
      if (g.ok()) gtid = *g;
      std::optional<StatusWord> word =
          gtid ? m.Word(*gtid) : std::nullopt;
      return word && word->runnable() && !word->on_cpu();
    })) << "the entering thread never waited as a ghost thread";
    EXPECT_EQ(entry_result.load(), 1)
        << "its entry returned before the test could see it wait";

    std::atomic<int> destroyed{1};  // 1: the destroy has not returned
    std::thread destroyer([&] {
      testing::PinTo(0);
      Enclave e(kEnclaveId, GHOSTFS_MOUNT_POINT);
      destroyed.store(e.Destroy().ok() ? 0 : -1);
    });
    const bool prompt =
        WaitFor([&] { return destroyed.load() != 1; }, kDestroyLimit);
    EXPECT_TRUE(prompt) << "the destroy still waits " << kDestroyLimit
                        << " for the thread it has to evict";
    if (!prompt) {
      // Let the test end: run the thread, which lets the destroy go on.
      hog.Stop();
      std::optional<StatusWord> word = m.Word(*gtid);
      if (word) (void)m.Try(kEntryCpu, *gtid, word->barrier, 0);
    }
    destroyer.join();
    EXPECT_EQ(destroyed.load(), 0);
  });

  // Evicted, the thread ran under CFS and its entry returned.
  ASSERT_TRUE(WaitFor([&] { return entry_result.load() != 1; }))
      << "the entering thread never got out of its policy change";
  entering.join();
  EXPECT_FALSE(testing::EnclaveExists(kEnclaveId));
}

}  // namespace
}  // namespace ghost
