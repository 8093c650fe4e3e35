#include "experiments/microbench/bench_shared.h"

#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/abi/cpu_data_region.h"
#include "lib/runtime/shared_block.h"
#include "lib/uapi/linux/ghost.h"

namespace ghost::bench {
namespace {

// Shared holds two 64 Ki-sample arrays: too big for a test's stack.
std::unique_ptr<Shared> NewShared() { return std::make_unique<Shared>(); }

TEST(WhereName, SaysWhatTheAgentIsDoing) {
  EXPECT_STREQ(WhereName(kBlocked), "blocked in ghost_run()");
  EXPECT_STREQ(WhereName(kCommitting), "in a commit");
}

TEST(WhereName, OfNowhereOrAnUnknownValueIsStarting) {
  EXPECT_STREQ(WhereName(kNowhere), "starting");
  EXPECT_STREQ(WhereName(99), "starting");
}

TEST(ResultCounts, OfNothingSeenIsNone) {
  EXPECT_EQ(ResultCounts(*NewShared()), "none");
}

TEST(ResultCounts, ListsOnlyTheResultsSeenThenTheFailedCalls) {
  std::unique_ptr<Shared> s = NewShared();
  s->results[GHOST_TXN_COMPLETE - GHOST_TXN_COMPLETE] = 500;
  s->results[GHOST_TXN_TARGET_STALE - GHOST_TXN_COMPLETE] = 2;
  s->commit_errors = 1;
  EXPECT_EQ(ResultCounts(*s),
            absl::StrCat(TxnResultName(GHOST_TXN_COMPLETE), " 500, ",
                         TxnResultName(GHOST_TXN_TARGET_STALE),
                         " 2, failed calls 1"));
}

TEST(SharedBlock, GivesAFreshSharedThatAForkedChildWritesTo) {
  SharedBlock<Shared> s;
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->phase.load(), kStarting);
  EXPECT_EQ(s->nr_samples, 0);
  const pid_t child = fork();
  if (child == 0) {
    s->nr_samples = 7;
    s->phase.store(kDone);
    _exit(0);
  }
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  EXPECT_EQ(s->phase.load(), kDone);
  EXPECT_EQ(s->nr_samples, 7);
}

}  // namespace
}  // namespace ghost::bench
