// Host tests of the ABI fuzzer's stall watchdog.
#include "tests/vm/fuzz/progress_watchdog.h"

#include <atomic>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"
#include "tests/vm/fuzz/trace.h"
#include "tests/vm/fuzz/wait.h"

namespace ghost::fuzz {
namespace {

TEST(ProgressWatchdogTest, ALoopThatStopsBeatingFailsAndIsStopped) {
  std::atomic<bool> stopped{false};
  Trace("the operation that hangs");
  EXPECT_NONFATAL_FAILURE_ON_ALL_THREADS(
      {
        ProgressWatchdog watchdog(absl::Seconds(1), absl::Seconds(60),
                                  [&] { stopped.store(true); });
        EXPECT_TRUE(WaitFor(stopped, absl::Seconds(10)));
        EXPECT_TRUE(watchdog.fired());
      },
      "made no progress");
}

TEST(ProgressWatchdogTest, ALoopThatBeatsIsLeftAlone) {
  std::atomic<bool> stopped{false};
  {
    ProgressWatchdog watchdog(absl::Seconds(1), absl::Seconds(1),
                              [&] { stopped.store(true); });
    const absl::Time end = absl::Now() + absl::Seconds(3);
    while (absl::Now() < end) {
      watchdog.Beat();
      absl::SleepFor(absl::Milliseconds(50));
    }
    EXPECT_FALSE(watchdog.fired());
  }
  EXPECT_FALSE(stopped.load());
}

TEST(TraceTest, RecentOperationsNameTheThreadAndItsLastOperation) {
  SetTraceName("trace-test");
  Trace("first");
  Trace("second");
  const std::string recent = RecentOperations();
  EXPECT_NE(recent.find("trace-test: 2 operations"), std::string::npos)
      << recent;
  EXPECT_NE(recent.find("second"), std::string::npos) << recent;
}

}  // namespace
}  // namespace ghost::fuzz
