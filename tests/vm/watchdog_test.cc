// The watchdog (kernel rule K15): an enclave whose runnable threads are not
// run within runnable_timeout is destroyed, its threads finish under CFS,
// and the reason is kept in /sys/fs/ghost/destroyed.
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/abi/enclave.h"
#include "lib/abi/fd.h"
#include "lib/abi/ghost_run.h"
#include "lib/abi/ghostfs_mount.h"
#include "lib/abi/status_word_region.h"
#include "lib/uapi/linux/ghost.h"
#include "tests/vm/blocked_child.h"
#include "tests/vm/fifo_test_agent.h"
#include "tests/vm/vm_helpers.h"
#include "tests/vm/wait_for.h"

namespace ghost {
namespace {

using ::ghost::testing::BlockedChild;
using ::ghost::testing::DestroyAllEnclaves;
using ::ghost::testing::EnclaveExists;
using ::ghost::testing::EnclaveGoneWithin;
using ::ghost::testing::ErrnoCode;
using ::ghost::testing::LastDestroyed;
using ::ghost::testing::FifoTestAgent;
using ::ghost::testing::RunAsNobody;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr unsigned int kId = 12;
constexpr unsigned int kWitnessId = 13;

class WatchdogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(EnsureGhostfsMounted(GHOSTFS_MOUNT_POINT).ok());
    DestroyAllEnclaves();
    absl::StatusOr<Enclave> e = Enclave::Create(kId);
    ASSERT_TRUE(e.ok()) << e.status();
    enclave_.emplace(*e);
    ASSERT_TRUE(enclave_->SetCpus("1-2").ok());
  }
  void TearDown() override { DestroyAllEnclaves(); }

  std::string Timeout() { return absl::StrCat(enclave_->dir(), "/runnable_timeout"); }

  absl::Status SetTimeout(absl::string_view ms) {
    return WriteGhostfsFile(Timeout(), ms);
  }

  // For the checks that the watchdog leaves an enclave alone: no state
  // shows "will never fire", so they watch it for as long as a witness
  // enclave with a starved thread and timeout `ms` takes to be destroyed
  // by its own watchdog. Once the witness is gone, the watchdog has had
  // its full chance at the enclave under test too.
  void WaitForAWitnessToStarve(absl::string_view ms) {
    absl::StatusOr<Enclave> witness = Enclave::Create(kWitnessId);
    ASSERT_TRUE(witness.ok()) << witness.status();
    ASSERT_TRUE(WriteGhostfsFile(witness->dir() + "/runnable_timeout", ms).ok());
    BlockedChild starved;
    ASSERT_TRUE(witness->AddTask(starved.pid()).ok());
    starved.Poke();  // runnable, and no agent will run it
    ASSERT_TRUE(EnclaveGoneWithin(kWitnessId, testing::kWaitLimit));
    EXPECT_THAT(LastDestroyed(), HasSubstr("watchdog"));
  }

  std::optional<Enclave> enclave_;
};

TEST_F(WatchdogTest, IsOnByDefaultWithTenSeconds) {
  EXPECT_EQ(*ReadGhostfsFile(Timeout()), "10000\n");
  EXPECT_THAT(*enclave_->StatusText(), HasSubstr("runnable_timeout_ms 10000\n"));
}

TEST_F(WatchdogTest, ABadTimeoutIsRejectedAndChangesNothing) {
  for (const char* bad : {"", "abc", "-1", "3600001", "1.5", "99999999999"}) {
    EXPECT_EQ(SetTimeout(bad).code(), ErrnoCode(EINVAL)) << "'" << bad << "'";
  }
  EXPECT_EQ(*ReadGhostfsFile(Timeout()), "10000\n");
  ASSERT_TRUE(SetTimeout("3600000").ok());
  EXPECT_EQ(*ReadGhostfsFile(Timeout()), "3600000\n");
}

TEST_F(WatchdogTest, OnlyRootMayChangeTheTimeout) {
  const std::string path = Timeout();
  const int rc = RunAsNobody([&] {
    absl::Status s = WriteGhostfsFile(path, "0");
    return s.code() == ErrnoCode(EACCES) ? 0 : 1;
  });
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(*ReadGhostfsFile(Timeout()), "10000\n");
}

TEST_F(WatchdogTest, AStarvedThreadGetsTheEnclaveDestroyedAndRunsUnderCfs) {
  ASSERT_TRUE(SetTimeout("300").ok());
  BlockedChild child;
  ASSERT_TRUE(enclave_->AddTask(child.pid()).ok());
  child.Poke();  // runnable now, and no agent will run it
  ASSERT_TRUE(EnclaveGoneWithin(kId, absl::Seconds(10)))
      << "the watchdog destroys the enclave";
  EXPECT_TRUE(child.WaitForCount(1)) << "the thread runs again under CFS";
  EXPECT_EQ(sched_getscheduler(child.pid()), SCHED_OTHER);
  EXPECT_THAT(LastDestroyed(),
              StartsWith(absl::StrCat(kId, " watchdog: thread ", child.pid(),
                                      " (gtid ")));
  EXPECT_THAT(LastDestroyed(), HasSubstr("without running"));
  child.Poke('q');
  EXPECT_EQ(child.WaitExit(), 0);
}

TEST_F(WatchdogTest, SleepingThreadsDoNotCount) {
  ASSERT_TRUE(SetTimeout("200").ok());
  BlockedChild child;
  ASSERT_TRUE(enclave_->AddTask(child.pid()).ok());
  WaitForAWitnessToStarve("200");
  EXPECT_TRUE(EnclaveExists(kId)) << "a blocked thread waits for nothing";
}

TEST_F(WatchdogTest, TurnedOffItLetsAStarvedThreadWait) {
  ASSERT_TRUE(SetTimeout("0").ok());
  BlockedChild child;
  ASSERT_TRUE(enclave_->AddTask(child.pid()).ok());
  child.Poke();
  WaitForAWitnessToStarve("200");
  EXPECT_TRUE(EnclaveExists(kId));
  EXPECT_EQ(child.count(), 0) << "no agent: it does not run (K2)";
  ASSERT_TRUE(enclave_->Destroy().ok());
  EXPECT_TRUE(child.WaitForCount(1));
  EXPECT_EQ(LastDestroyed(),
            absl::StrCat(kId, " destroyed through its ctl file"));
}

TEST_F(WatchdogTest, AWorkingAgentKeepsTheEnclaveAlive) {
  ASSERT_TRUE(SetTimeout("1000").ok());
  absl::StatusOr<std::unique_ptr<FifoTestAgent>> agent =
      FifoTestAgent::Start(*enclave_, 1);
  ASSERT_TRUE(agent.ok()) << agent.status();
  BlockedChild child;
  ASSERT_TRUE(enclave_->AddTask(child.pid()).ok());
  // Woken again and again for three timeouts: the agent runs it each time.
  for (int i = 1; i <= 30; ++i) {
    child.Poke();
    ASSERT_TRUE(child.WaitForCount(i)) << "poke " << i;
    absl::SleepFor(absl::Milliseconds(100));  // the workload's pace
  }
  EXPECT_TRUE(EnclaveExists(kId));
}

TEST_F(WatchdogTest, AStarvedEnclaveWithAnAgentIsDestroyedToo) {
  // An agent that attached but schedules nothing is as bad as none.
  ASSERT_TRUE(SetTimeout("300").ok());
  absl::StatusOr<Fd> dir = OpenEnclaveDir(enclave_->dir());
  ASSERT_TRUE(dir.ok());
  absl::StatusOr<StatusWordRegion> words =
      StatusWordRegion::Map(enclave_->dir());
  ASSERT_TRUE(words.ok());
  std::atomic<int> attached{0};
  std::thread idle_agent([&] {
    absl::StatusOr<uint32_t> sw = AttachAgent(dir->get(), 1);
    attached.store(sw.ok() ? 1 : -1);
    if (!sw.ok()) return;
    // Sleeps through every event; destroying the enclave detaches it,
    // and then blocking fails (EINVAL: not an agent).
    while (BlockAgent(words->Read(*sw).barrier).code() !=
           ErrnoCode(EINVAL)) {
    }
  });
  ASSERT_TRUE(testing::WaitFor([&] { return attached.load() != 0; }));
  ASSERT_EQ(attached.load(), 1);
  BlockedChild child;
  ASSERT_TRUE(enclave_->AddTask(child.pid()).ok());
  child.Poke();
  EXPECT_TRUE(EnclaveGoneWithin(kId, absl::Seconds(10)));
  EXPECT_TRUE(child.WaitForCount(1));
  idle_agent.join();
}

}  // namespace
}  // namespace ghost
