#include "experiments/microbench/thread_state.h"

#include <unistd.h>

#include <atomic>
#include <thread>

#include "gtest/gtest.h"

namespace ghost::bench {
namespace {

TEST(StatStateLetter, IsTheLetterAfterTheName) {
  EXPECT_EQ(StatStateLetter("42 (bench) S 1 42 42 0"), 'S');
}

TEST(StatStateLetter, ReadsPastAParenthesisInTheName) {
  EXPECT_EQ(StatStateLetter("42 (a) b) R 1 42"), 'R');
}

TEST(StatStateLetter, OfTextWithoutOneIsUnknown) {
  EXPECT_EQ(StatStateLetter(""), '?');
  EXPECT_EQ(StatStateLetter("42 (bench) "), '?');
}

TEST(ThreadState, OfTheCallingThreadIsRunning) {
  EXPECT_EQ(ThreadState(Gettid()), 'R');
}

TEST(Gettid, OfTheMainThreadIsThePid) { EXPECT_EQ(Gettid(), getpid()); }

TEST(WaitAsleep, ReturnsOnceAThreadSleeps) {
  std::atomic<pid_t> tid{0};
  std::atomic<bool> done{false};
  std::thread sleeper([&] {
    tid.store(Gettid());
    while (!done.load()) usleep(1000);
  });
  while (tid.load() == 0) usleep(100);
  EXPECT_TRUE(WaitAsleep(tid.load(), "the sleeper", 5000).ok());
  done.store(true);
  sleeper.join();
}

TEST(WaitAsleep, GivesUpOnARunningThreadAndSaysWho) {
  const absl::Status s = WaitAsleep(Gettid(), "this thread", 1);
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_NE(s.message().find("this thread"), std::string::npos);
}

}  // namespace
}  // namespace ghost::bench
