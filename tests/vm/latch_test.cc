// The fate of every latch (docs/kernel-rules.md K12, K13): a latch that is
// not run is either kept or reported to the agents, never lost silently,
// and a sync group that fails gives each member a result.
//
// Each case latches a ghost thread on CPU 2 while a CFS hog holds that CPU:
// CFS outranks ghost, so the latched thread waits there, latched and not
// running, for as long as the test wants.
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "lib/abi/cpu_data_region.h"
#include "lib/abi/enclave.h"
#include "lib/abi/ghost_run.h"
#include "lib/abi/ghostfs_mount.h"
#include "lib/uapi/linux/ghost.h"
#include "tests/vm/cfs_hog.h"
#include "tests/vm/gated_workers.h"
#include "tests/vm/manual_agent.h"
#include "tests/vm/vm_helpers.h"
#include "tests/vm/wait_for.h"

namespace ghost {
namespace {

using ::ghost::testing::CfsHog;
using ::ghost::testing::DestroyAllEnclaves;
using ::ghost::testing::GatedWorkers;
using ::ghost::testing::ManualAgent;

constexpr int kAgentCpu = 1;
constexpr int kLatchCpu = 2;

// Waits up to `limit` for `done`.
template <typename Pred>
bool Within(absl::Duration limit, Pred done) {
  return testing::WaitFor(done, limit);
}

class LatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(EnsureGhostfsMounted(GHOSTFS_MOUNT_POINT).ok());
    DestroyAllEnclaves();
    absl::StatusOr<Enclave> e = Enclave::Create(23);
    ASSERT_TRUE(e.ok()) << e.status();
    enclave_.emplace(*e);
    ASSERT_TRUE(enclave_->SetCpus("1-2").ok());
  }
  void TearDown() override { DestroyAllEnclaves(); }

  // Moves `w`'s one thread in and releases it: runnable, never run (no
  // agent runs it). Returns its gtid once its status word says so.
  uint64_t RunnableGhostThread(GatedWorkers& w, ManualAgent& m) {
    EXPECT_TRUE(w.MoveInto(*enclave_).ok());
    w.Release();
    const uint64_t gtid = *GetGtid(w.tid(0));
    EXPECT_TRUE(Within(absl::Seconds(10), [&] {
      std::optional<StatusWord> word = m.Word(gtid);
      return word && word->runnable();
    })) << "the released thread never became runnable";
    return gtid;
  }

  // Latches `gtid` on `cpu` as an agent does: a commit refused as
  // TARGET_STALE (the thread's word moved, its message is queued) is made
  // again with the new barrier once that message is read. The messages
  // that moved it are printed, so a spurious one would show.
  static std::string Latch(ManualAgent& m, int cpu, uint64_t gtid) {
    std::string result;
    for (int attempt = 0; attempt < 3; ++attempt) {
      std::vector<ghost_msg> before = m.Drain();
      if (attempt > 0) {
        std::cout << "stale commit; the messages queued meanwhile:";
        for (const ghost_msg& msg : before) {
          std::cout << " " << msg.type << "(gtid " << msg.gtid << ")";
        }
        std::cout << "\n";
      }
      result = TxnResultName(m.Try(cpu, gtid, m.Seq(gtid), 0));
      if (result != "TARGET_STALE") break;
    }
    return result;
  }

  std::optional<Enclave> enclave_;
};

TEST_F(LatchTest, ANiceChangeOfALatchedThreadKeepsItsLatch) {
  ManualAgent m(*enclave_);
  std::atomic<bool> ran{false};
  GatedWorkers w(1, [&](int) { ran.store(true); });
  const uint64_t gtid = RunnableGhostThread(w, m);
  CfsHog hog(kLatchCpu);
  m.AsAgent(kAgentCpu, [&] {
    ASSERT_EQ(Latch(m, kLatchCpu, gtid), "COMPLETE");
    const uint64_t latched_at = m.Word(gtid)->switch_time;
    // A nice change dequeues and enqueues the thread where it is.
    ASSERT_EQ(setpriority(PRIO_PROCESS, w.tid(0), 5), 0);
    EXPECT_FALSE(ran.load()) << "the hog holds CPU 2";
    uint32_t seen = m.Seq(gtid);
    hog.Stop();
    // Once it runs from the kept latch, anything that wakes on CPU 2 may
    // preempt it on its way to `ran` (the agents hear PREEMPTED): then it
    // is latched again, as an agent would. A word that moved before the
    // thread ever switched in means the latch was dropped.
    bool dropped = false;
    int relatched = 0;
    EXPECT_TRUE(Within(absl::Seconds(10), [&] {
      if (ran.load()) return true;
      std::optional<StatusWord> word = m.Word(gtid);
      if (word && word->barrier != seen && word->runnable() &&
          !word->on_cpu()) {
        seen = word->barrier;
        dropped = dropped || word->switch_time == latched_at;
        m.Drain();
        (void)m.Try(kLatchCpu, gtid, seen, 0);
        ++relatched;
      }
      return false;
    })) << "the latch was lost: nothing runs the thread, no message said so";
    EXPECT_FALSE(dropped) << "the nice change dropped the latch";
    if (relatched > 0) {
      std::cout << "preempted after it ran from its latch; latched again "
                << relatched << " time(s)\n";
    }
  });
}

TEST_F(LatchTest, AnAffinityChangeAwayFromTheLatchedCpuTellsTheAgents) {
  ManualAgent m(*enclave_);
  GatedWorkers w(1, [&](int) {});
  const uint64_t gtid = RunnableGhostThread(w, m);
  CfsHog hog(kLatchCpu);
  m.AsAgent(kAgentCpu, [&] {
    ASSERT_EQ(Latch(m, kLatchCpu, gtid), "COMPLETE");
    m.Drain();
    cpu_set_t only1;
    CPU_ZERO(&only1);
    CPU_SET(kAgentCpu, &only1);
    ASSERT_EQ(sched_setaffinity(w.tid(0), sizeof(only1), &only1), 0);
    // The latch cannot run any more: its agents must hear it is waiting.
    std::vector<uint16_t> types;
    EXPECT_TRUE(Within(absl::Seconds(5), [&] {
      for (const ghost_msg& msg : m.Drain()) {
        if (msg.gtid == gtid) types.push_back(msg.type);
      }
      for (uint16_t t : types) {
        if (t == GHOST_MSG_PREEMPTED) return true;
      }
      return false;
    })) << types.size() << " messages about the thread, none PREEMPTED";
  });
}

TEST_F(LatchTest, AFailedSyncGroupLeavesNoMemberReady) {
  ManualAgent m(*enclave_);
  GatedWorkers w(1, [&](int) {});
  const uint64_t gtid = RunnableGhostThread(w, m);
  m.AsAgent(kAgentCpu, [&] {
    ghost_txn* first = m.cpu_data().txn(kAgentCpu);
    ghost_txn* second = m.cpu_data().txn(kLatchCpu);
    first->state = GHOST_TXN_IDLE;  // not READY: the group fails
    CpuDataRegion::Fill(second, gtid, m.Seq(gtid), 0, 0);
    const int cpus[] = {kAgentCpu, kLatchCpu};
    EXPECT_EQ(*Commit(cpus, 2, GHOST_COMMIT_F_SYNC_GROUP), 0);
    EXPECT_EQ(std::string(TxnResultName(CpuDataRegion::Result(second))),
              "POISONED")
        << "the READY member must end with a result";
    EXPECT_EQ(first->state, GHOST_TXN_IDLE) << "not ours to touch";
  });
}

}  // namespace
}  // namespace ghost
