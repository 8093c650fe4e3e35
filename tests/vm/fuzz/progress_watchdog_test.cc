// Host tests of the ABI fuzzer's stall watchdog and its trace records.
#include "tests/vm/fuzz/progress_watchdog.h"

#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/vm/fuzz/trace.h"

namespace ghost::fuzz {
namespace {

TEST(ProgressWatchdogTest, ALoopThatStopsBeatingIsCaught) {
  absl::StatusOr<std::unique_ptr<ProgressWatchdog>> watchdog =
      ProgressWatchdog::Start(absl::Seconds(1), absl::Seconds(60));
  ASSERT_TRUE(watchdog.ok()) << watchdog.status();
  const absl::Time end = absl::Now() + absl::Seconds(10);
  while (!(*watchdog)->fired() && absl::Now() < end) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE((*watchdog)->fired());
}

TEST(ProgressWatchdogTest, ALoopThatBeatsIsLeftAlone) {
  absl::StatusOr<std::unique_ptr<ProgressWatchdog>> watchdog =
      ProgressWatchdog::Start(absl::Seconds(1), absl::Seconds(1));
  ASSERT_TRUE(watchdog.ok()) << watchdog.status();
  const absl::Time end = absl::Now() + absl::Seconds(4);
  while (absl::Now() < end) {
    (*watchdog)->Beat();
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_FALSE((*watchdog)->fired());
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
