#include "experiments/microbench/bench_rows.h"

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace ghost::bench {
namespace {

GhostResult ResultWithA(std::vector<uint64_t> a) {
  GhostResult r;
  r.a = std::move(a);
  return r;
}

TEST(PerTransaction, DividesEverySampleByTheTransactionCount) {
  EXPECT_EQ(PerTransaction({200, 301, 0}, 2),
            (std::vector<uint64_t>{100, 150, 0}));
}

TEST(PerTransaction, OfNoSamplesIsEmpty) {
  EXPECT_TRUE(PerTransaction({}, 2).empty());
}

TEST(GhostRow, SummarizesTheChosenSamplesNextToTheBaseline) {
  Summary cfs = Summarize({50});
  const Row row = GhostRow("local", ResultWithA({100, 300, 200}),
                           &GhostResult::a, {"CFS", cfs, ""});
  EXPECT_EQ(row.name, "local");
  EXPECT_EQ(row.value.count, 3);
  EXPECT_DOUBLE_EQ(row.value.median, 200);
  EXPECT_EQ(row.baseline_name, "CFS");
  EXPECT_DOUBLE_EQ(row.baseline.median, 50);
  EXPECT_TRUE(row.failure.empty());
}

TEST(GhostRow, TakesTheSecondSamplesWhenAskedTo) {
  GhostResult r = ResultWithA({1});
  r.b = {7, 9};
  EXPECT_EQ(GhostRow("x", r, &GhostResult::b, {}).value.count, 2);
}

TEST(GhostRow, OfAFailedMeasurementHasItsReasonAndNoValue) {
  const Row row = GhostRow("local", absl::AbortedError("the agent gave up"),
                           &GhostResult::a, {"CFS", Summarize({50}), ""});
  EXPECT_EQ(row.failure, "the agent gave up");
  EXPECT_EQ(row.value.count, 0);
  EXPECT_TRUE(row.baseline_name.empty());
}

TEST(GhostRow, NamesWhyItsBaselineFailed) {
  const Row row = GhostRow("local", ResultWithA({100}), &GhostResult::a,
                           {"CFS", Summary{}, "round 3 did not finish"});
  EXPECT_EQ(row.baseline_name, "CFS (failed: round 3 did not finish)");
  EXPECT_EQ(row.baseline.count, 0);
}

TEST(GhostRow, WithoutABaselineHasNoBaselineName) {
  const Row row = GhostRow("spinning", ResultWithA({100}), &GhostResult::a, {});
  EXPECT_TRUE(row.baseline_name.empty());
  EXPECT_EQ(row.baseline.count, 0);
}

}  // namespace
}  // namespace ghost::bench
