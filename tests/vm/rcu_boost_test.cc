// RCU priority boosting and ghost threads.
//
// A ghost thread preempted inside an RCU read-side critical section blocks
// every grace period until it leaves the section. If its agent does not run
// it again (a policy that ignores it, an agent that is slow under load),
// synchronize_rcu() callers anywhere in the system wait for as long, and
// RCU reports a stall. The lab kernel enables RCU priority boosting
// (CONFIG_RCU_BOOST, kernel-patches/ghost.config): after RCU_BOOST_DELAY
// (500 ms) the reader is boosted into the RT class, which runs above ghost,
// leaves the section, and drops back into the ghost class.
//
// The case needs a ghost thread preempted exactly inside a reader: the debug
// flavour's test hook (CONFIG_SCHED_CLASS_GHOST_TESTING,
// /sys/kernel/debug/ghost/rcu_preempt) makes its writer leave its CPU inside
// rcu_read_lock() as a preemption would; the ghost class then runs it only
// when an agent latches it, which the test's agent never does.
#include <fcntl.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "lib/abi/cpu_data_region.h"
#include "lib/abi/enclave.h"
#include "lib/abi/ghostfs_mount.h"
#include "lib/uapi/linux/ghost.h"
#include "tests/vm/gated_workers.h"
#include "tests/vm/manual_agent.h"
#include "tests/vm/vm_helpers.h"
#include "tests/vm/wait_for.h"

namespace ghost {
namespace {

using ::ghost::testing::DestroyAllEnclaves;
using ::ghost::testing::GatedWorkers;
using ::ghost::testing::ManualAgent;
using ::ghost::testing::WaitFor;

constexpr char kHookDir[] = "/sys/kernel/debug/ghost/";
constexpr int kAgentCpu = 1;
constexpr int kReaderCpu = 2;
// Boosting starts RCU_BOOST_DELAY (500 ms) after the grace period does; a
// few seconds leave room for the emulated VM. Without boosting the wait
// lasts until the watchdog ends the enclave (10 s), or forever.
constexpr absl::Duration kGracePeriodLimit = absl::Seconds(5);

// A counter of the test hook, or -1.
int64_t HookCounter(const char* name) {
  absl::StatusOr<std::string> text =
      ReadGhostfsFile(absl::StrCat(kHookDir, name));
  int64_t value = -1;
  if (!text.ok() ||
      !absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &value)) {
    return -1;
  }
  return value;
}

// The hook: the calling ghost thread enters rcu_read_lock() and leaves its
// CPU there; returns once it ran again. 0 or -errno.
int PreemptInsideRcuReader() {
  const int fd = open(absl::StrCat(kHookDir, "rcu_preempt").c_str(),
                      O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  const ssize_t n = write(fd, "1", 1);
  const int err = n == 1 ? 0 : -errno;
  close(fd);
  return err;
}

std::vector<uint16_t> TypesOf(const std::vector<ghost_msg>& msgs,
                              uint64_t gtid) {
  std::vector<uint16_t> types;
  for (const ghost_msg& m : msgs) {
    if (m.gtid == gtid) types.push_back(m.type);
  }
  return types;
}

class RcuBoostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(absl::StrCat(kHookDir, "rcu_preempt").c_str(), W_OK) != 0) {
      GTEST_SKIP() << "no " << kHookDir << "rcu_preempt: the kernel lacks "
                   << "CONFIG_SCHED_CLASS_GHOST_TESTING (debug flavour only)";
    }
    ASSERT_TRUE(EnsureGhostfsMounted(GHOSTFS_MOUNT_POINT).ok());
    DestroyAllEnclaves();
    absl::StatusOr<Enclave> e = Enclave::Create(31);
    ASSERT_TRUE(e.ok()) << e.status();
    enclave_.emplace(*e);
    ASSERT_TRUE(enclave_->SetCpus("1-2").ok());
  }
  void TearDown() override { DestroyAllEnclaves(); }

  std::optional<Enclave> enclave_;
};

TEST_F(RcuBoostTest, AGracePeriodEndsWhileTheAgentIgnoresAPreemptedReader) {
  ManualAgent m(*enclave_);
  std::atomic<int> hook_result{1};  // 1: not returned yet
  std::atomic<int> policy_after{-1};
  std::atomic<int> resume{0};
  GatedWorkers w(1, [&](int) {
    hook_result.store(PreemptInsideRcuReader());
    policy_after.store(sched_getscheduler(0));
    // Blocks until the test lets it finish (a futex wait).
    while (resume.load() == 0) resume.wait(0);
  });
  ASSERT_TRUE(w.MoveInto(*enclave_).ok());
  w.Release();
  const uint64_t gtid = *GetGtid(w.tid(0));
  ASSERT_TRUE(WaitFor([&] {
    std::optional<StatusWord> word = m.Word(gtid);
    return word && word->runnable();
  })) << "the released thread never became runnable";
  const int64_t boosted_before = HookCounter("rcu_preempt_boosted");
  ASSERT_GE(boosted_before, 0);

  m.AsAgent(kAgentCpu, [&] {
    // Run the thread on CPU 2 until it is off its CPU inside the hook's
    // read-side section. If something preempts it before it gets there, it
    // is latched again, once per new sequence number, as an agent would.
    uint32_t latched_seq = 0;
    bool latched = false;
    ASSERT_TRUE(WaitFor([&] {
      std::optional<StatusWord> word = m.Word(gtid);
      if (!word) return false;
      if (HookCounter("rcu_preempt_parked") == 1 && !word->on_cpu()) {
        return true;
      }
      if (word->runnable() && !word->on_cpu() &&
          (!latched || word->barrier != latched_seq)) {
        latched_seq = word->barrier;
        latched = true;
        EXPECT_EQ(std::string(TxnResultName(
                      m.Try(kReaderCpu, gtid, latched_seq, 0))),
                  "COMPLETE");
      }
      return false;
    })) << "the thread never parked inside the RCU read-side section";
    const absl::Time parked = absl::Now();

    // membarrier(MEMBARRIER_CMD_GLOBAL) waits for an RCU grace period
    // (synchronize_rcu()), which waits for the parked reader.
    std::atomic<int> membarrier_result{1};  // 1: not returned yet
    std::thread caller([&] {
      testing::PinTo(0);
      const long rc = syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);
      membarrier_result.store(rc == 0 ? 0 : -errno);
    });
    const bool ended = WaitFor([&] { return membarrier_result.load() != 1; },
                               kGracePeriodLimit);
    const absl::Duration waited = absl::Now() - parked;
    EXPECT_TRUE(ended)
        << "synchronize_rcu() still waits " << kGracePeriodLimit
        << " after the ghost thread was preempted inside its RCU reader: "
        << "no priority boosting (CONFIG_RCU_BOOST)?";
    if (!ended) {
      // Let the test finish: the agent runs the reader after all.
      std::optional<StatusWord> word = m.Word(gtid);
      if (word) (void)m.Try(kReaderCpu, gtid, word->barrier, 0);
    }
    caller.join();
    EXPECT_EQ(membarrier_result.load(), 0);
    std::cout << "[ rcu-boost ] grace period ended " << waited
              << " after the reader was parked\n";

    // Back in the ghost class once it left its section, the reader may be
    // preempted before the hook returns (the boosting kthread it just
    // released wakes, on its CPU perhaps): it then waits for a latch, and
    // gets one, once per new sequence number, as an agent would.
    auto relatch_if_preempted = [&] {
      std::optional<StatusWord> word = m.Word(gtid);
      if (word && word->runnable() && !word->on_cpu() &&
          word->barrier != latched_seq) {
        latched_seq = word->barrier;
        (void)m.Try(kReaderCpu, gtid, latched_seq, 0);
      }
    };

    // The reader got out of its section through boosting, not a latch.
    ASSERT_TRUE(WaitFor([&] {
      if (hook_result.load() != 1) return true;
      relatch_if_preempted();
      return false;
    })) << "the hook never returned";
    EXPECT_EQ(hook_result.load(), 0);
    EXPECT_EQ(HookCounter("rcu_preempt_boosted"), boosted_before + 1)
        << "the reader left its section without being boosted";
    EXPECT_EQ(HookCounter("rcu_preempt_parked"), 0);

    // It is back under ghost: still SCHED_GHOST, and once it blocks at its
    // futex its word says neither BOOSTED nor ONCPU, and the agents heard
    // of the preemption and of the block, in that order.
    // (Should anything preempt it on its way to the futex, it is latched
    // again, as an agent would.)
    EXPECT_EQ(policy_after.load(), SCHED_GHOST);
    ASSERT_TRUE(WaitFor([&] {
      relatch_if_preempted();
      std::optional<StatusWord> word = m.Word(gtid);
      return word && !word->runnable() && !word->on_cpu();
    })) << "its status word never said blocked";
    const std::optional<StatusWord> word = m.Word(gtid);
    ASSERT_TRUE(word.has_value());
    EXPECT_FALSE(word->flags & GHOST_SW_F_BOOSTED);
    std::vector<uint16_t> types = TypesOf(m.Drain(), gtid);
    ASSERT_FALSE(types.empty());
    EXPECT_EQ(types.back(), GHOST_MSG_BLOCKED);
    EXPECT_NE(std::find(types.begin(), types.end(), GHOST_MSG_PREEMPTED),
              types.end())
        << "the agents never heard that the reader was preempted";

    // And its agent runs it again as any other thread: woken, it waits
    // for a latch, and runs to its end.
    resume.store(1);
    resume.notify_all();
    ASSERT_TRUE(WaitFor([&] {
      std::optional<StatusWord> w2 = m.Word(gtid);
      return w2 && w2->runnable();
    })) << "the woken thread never became runnable";
    EXPECT_EQ(std::string(TxnResultName(
                  m.Try(kReaderCpu, gtid, m.Seq(gtid), 0))),
              "COMPLETE");
    EXPECT_TRUE(w.AllDoneWithin(testing::kWaitLimit))
        << "the latched thread did not run to its end";
  });
  EXPECT_TRUE(testing::EnclaveExists(31))
      << "the enclave ended: " << testing::LastDestroyed();
}

}  // namespace
}  // namespace ghost
