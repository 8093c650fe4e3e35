#include <cerrno>
#include <map>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/ghostctl/thread_mover.h"

namespace ghost::ctl {
namespace {

using ::testing::HasSubstr;
using R = ThreadMove::Result;

// A fake kernel: threads of process 10, an errno per tid, and a process
// that starts thread 13 while thread 11 has not moved yet.
struct FakeKernel {
  std::set<pid_t> threads = {10, 11, 12};
  std::map<pid_t, int> errors;
  std::vector<pid_t> written;
  bool spawn_after_first_list = false;
  int lists = 0;

  ThreadMover Mover() {
    return ThreadMover(
        [this](pid_t tid) {
          written.push_back(tid);
          auto it = errors.find(tid);
          return it == errors.end() ? 0 : it->second;
        },
        [this](pid_t pid) -> absl::StatusOr<std::vector<pid_t>> {
          if (pid != 10 && !threads.count(pid)) {
            return absl::NotFoundError("no process");
          }
          std::vector<pid_t> tids(threads.begin(), threads.end());
          if (++lists == 1 && spawn_after_first_list) threads.insert(13);
          return tids;
        });
  }
};

TEST(ThreadMover, MovesEveryThreadOfAProcess) {
  FakeKernel k;
  absl::StatusOr<std::vector<ThreadMove>> moves = k.Mover().MoveProcess(10);
  ASSERT_TRUE(moves.ok());
  ASSERT_EQ(moves->size(), 3u);
  for (const ThreadMove& m : *moves) EXPECT_EQ(m.result, R::kMoved);
  EXPECT_FALSE(AnyFailed(*moves));
}

TEST(ThreadMover, ListsAgainForThreadsStartedMeanwhile) {
  FakeKernel k;
  k.spawn_after_first_list = true;
  absl::StatusOr<std::vector<ThreadMove>> moves = k.Mover().MoveProcess(10);
  ASSERT_TRUE(moves.ok());
  EXPECT_EQ(moves->size(), 4u);
  EXPECT_EQ(moves->back().tid, 13);
}

TEST(ThreadMover, PartialFailureIsReportedPerThread) {
  FakeKernel k;
  k.errors[11] = EPERM;
  k.errors[12] = EALREADY;
  absl::StatusOr<std::vector<ThreadMove>> moves = k.Mover().MoveProcess(10);
  ASSERT_TRUE(moves.ok());
  EXPECT_EQ((*moves)[0].result, R::kMoved);
  EXPECT_EQ((*moves)[1].result, R::kFailed);
  EXPECT_EQ((*moves)[1].err, EPERM);
  EXPECT_EQ((*moves)[2].result, R::kAlready);
  EXPECT_TRUE(AnyFailed(*moves));
  EXPECT_THAT(Describe((*moves)[1]), HasSubstr("tid 11: FAILED"));
  EXPECT_THAT(Describe((*moves)[1]), HasSubstr("CAP_SYS_NICE"));
}

TEST(ThreadMover, AThreadThatExitsDuringAProcessMoveIsNoFailure) {
  FakeKernel k;
  k.errors[12] = ESRCH;
  absl::StatusOr<std::vector<ThreadMove>> moves = k.Mover().MoveProcess(10);
  EXPECT_EQ((*moves)[2].result, R::kGone);
  EXPECT_FALSE(AnyFailed(*moves));
}

TEST(ThreadMover, AMissingSingleThreadIsAFailure) {
  FakeKernel k;
  k.errors[99] = ESRCH;
  ThreadMove m = k.Mover().MoveThread(99);
  EXPECT_EQ(m.result, R::kFailed);
  EXPECT_THAT(Describe(m), HasSubstr("no such thread"));
}

TEST(ThreadMover, MoveThreadWritesOnlyThatTid) {
  FakeKernel k;
  k.Mover().MoveThread(11);
  EXPECT_EQ(k.written, std::vector<pid_t>{11});
}

TEST(ThreadMover, AMissingProcessIsNotFound) {
  FakeKernel k;
  EXPECT_EQ(k.Mover().MoveProcess(77).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(k.written.empty());
}

}  // namespace
}  // namespace ghost::ctl
