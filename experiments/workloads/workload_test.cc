// The workloads on the host, under the host's scheduler: each does the
// work it promises, and a worker that cannot finish is reported, not
// waited for forever.
#include "experiments/workloads/workload.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace ghost::workloads {
namespace {

TEST(WorkloadTest, EachWorkloadDoesAllItsUnits) {
  for (const char* name : {"fork", "threads", "yield", "oversub"}) {
    absl::StatusOr<WorkloadResult> r =
        RunWorkload(name, {.threads = 2, .ops = 5});
    ASSERT_TRUE(r.ok()) << name << ": " << r.status();
    EXPECT_EQ(r->ops, 10) << name;
    EXPECT_GT(r->seconds, 0) << name;
    EXPECT_LE(r->fastest_s, r->slowest_s) << name;
  }
}

TEST(WorkloadTest, APipePingPongCountsRoundTripsOfBothThreads) {
  absl::StatusOr<WorkloadResult> r = RunWorkload("pipe", {.ops = 100});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->ops, 200);
}

TEST(WorkloadTest, AnUnknownWorkloadIsRefusedWithTheList) {
  absl::StatusOr<WorkloadResult> r = RunWorkload("nope", {});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("oversub"), std::string::npos);
}

TEST(WorkloadTest, WorkThatCannotFinishInTimeSaysHowFarEachWorkerGot) {
  absl::StatusOr<WorkloadResult> r = RunWorkload(
      "oversub", {.threads = 1, .ops = 1000000000, .limit = absl::Milliseconds(50)});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_NE(r.status().message().find("worker 0:"), std::string::npos);
}

}  // namespace
}  // namespace ghost::workloads
