// A ghost thread's children (docs/kernel-rules.md K4, K9): a child joins
// its parent's enclave, and its status word tells the truth about it from
// the start: runnable, not on a CPU, until it first runs.
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "lib/abi/enclave.h"
#include "lib/abi/ghost_run.h"
#include "lib/abi/ghostfs_mount.h"
#include "lib/abi/status_word_region.h"
#include "lib/uapi/linux/ghost.h"
#include "tests/vm/gated_workers.h"
#include "tests/vm/manual_agent.h"
#include "tests/vm/vm_helpers.h"

namespace ghost {
namespace {

using ::ghost::testing::DestroyAllEnclaves;
using ::ghost::testing::GatedWorkers;
using ::ghost::testing::ManualAgent;

class ForkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(EnsureGhostfsMounted(GHOSTFS_MOUNT_POINT).ok());
    DestroyAllEnclaves();
    absl::StatusOr<Enclave> e = Enclave::Create(27);
    ASSERT_TRUE(e.ok()) << e.status();
    enclave_.emplace(*e);
    ASSERT_TRUE(enclave_->SetCpus("1-2").ok());
  }
  void TearDown() override { DestroyAllEnclaves(); }

  std::optional<Enclave> enclave_;
};

// A hand-driven agent runs the parent on CPU 2 (and runs it again whenever
// another class preempted it), and never runs the children: they wait,
// runnable, never run. Their words must not say ONCPU: a successor agent
// rediscovering threads from their words would take them for running and
// never schedule them.
TEST_F(ForkTest, AChildThatHasNotRunYetIsNotOnACpu) {
  constexpr int kChildren = 3;
  ManualAgent m(*enclave_);
  std::atomic<bool> created{false}, stop{false};
  GatedWorkers parent(1, [&](int) {
    std::vector<std::thread> children;
    for (int i = 0; i < kChildren; ++i) children.emplace_back([] {});
    created.store(true);
    while (!stop.load()) {
    }
    for (std::thread& t : children) t.join();
  });
  // However the case ends: everything back to CFS, so every thread ends.
  struct Cleanup {
    Enclave& enclave;
    std::atomic<bool>& stop;
    ~Cleanup() {
      (void)enclave.Destroy();
      stop.store(true);
    }
  } cleanup{*enclave_, stop};
  ASSERT_TRUE(parent.MoveInto(*enclave_).ok());
  parent.Release();
  const uint64_t parent_gtid = *GetGtid(parent.tid(0));
  // Checked while the agent is attached: once the enclave has no agent
  // left, the kernel runs its threads itself (bypass), children included.
  int seen = 0;
  m.AsAgent(1, [&] {
    const absl::Time end = absl::Now() + absl::Seconds(20);
    while (!created.load() && absl::Now() < end) {
      std::optional<StatusWord> w = m.Word(parent_gtid);
      if (w && w->runnable() && !w->on_cpu()) {
        (void)m.Try(2, parent_gtid, w->barrier, 0);
      }
      absl::SleepFor(absl::Milliseconds(1));
    }
    EXPECT_TRUE(created.load()) << "the parent never got to create them";
    // The children are the members other than the parent and the agent.
    absl::StatusOr<StatusWordRegion> words =
        StatusWordRegion::Map(enclave_->dir());
    ASSERT_TRUE(words.ok()) << words.status();
    words->ForEachInUse([&](const StatusWord& w) {
      if ((w.flags & GHOST_SW_F_AGENT) || w.can_free() ||
          w.gtid == parent_gtid) {
        return;
      }
      ++seen;
      EXPECT_TRUE(w.runnable()) << "child gtid " << w.gtid;
      EXPECT_FALSE(w.on_cpu()) << "child gtid " << w.gtid << " never ran";
    });
  });
  EXPECT_EQ(seen, created.load() ? kChildren : 0);
  // Back to CFS: the children run and end, the parent joins them.
  EXPECT_TRUE(enclave_->Destroy().ok());
  stop.store(true);
  EXPECT_TRUE(parent.AllDoneWithin(absl::Seconds(30)));
}

}  // namespace
}  // namespace ghost
