#include "experiments/microbench/bench_rows.h"

#include <cstdint>
#include <string>
#include <utility>
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

GhostResult ResultWithAB(std::vector<uint64_t> a, std::vector<uint64_t> b) {
  GhostResult r;
  r.a = std::move(a);
  r.b = std::move(b);
  return r;
}

std::vector<std::string> Names(const std::vector<Row>& rows) {
  std::vector<std::string> names;
  for (const Row& r : rows) names.push_back(r.name);
  return names;
}

const Baseline kCfsWake = {"CFS wake", Summarize({1000}), ""};
const Baseline kCfsSyscall = {"CFS syscall", Summarize({500}), ""};

TEST(RemoteRows, OfOneAndTwoCpusAreTheFourRowsOfAFourCpuLab) {
  const std::vector<Row> rows =
      RemoteRows({{1, ResultWithAB({100}, {10})}, {2, ResultWithAB({200}, {30})}},
                 kCfsWake, kCfsSyscall);
  EXPECT_EQ(Names(rows), (std::vector<std::string>{
                             "remote x1: commit -> thread runs",
                             "remote x2: commit -> last runs",
                             "remote x1: commit syscall",
                             "remote x2: commit syscall / txn"}));
}

TEST(RemoteRows, HaveALatencyAndAPerTransactionRowForEveryGroup) {
  const std::vector<Row> rows = RemoteRows(
      {{1, ResultWithAB({100}, {10})},
       {2, ResultWithAB({200}, {30})},
       {6, ResultWithAB({600}, {60})}},
      kCfsWake, kCfsSyscall);
  EXPECT_EQ(Names(rows), (std::vector<std::string>{
                             "remote x1: commit -> thread runs",
                             "remote x2: commit -> last runs",
                             "remote x6: commit -> last runs",
                             "remote x1: commit syscall",
                             "remote x2: commit syscall / txn",
                             "remote x6: commit syscall / txn"}));
  EXPECT_EQ(rows[2].baseline_name, "CFS wake");
  EXPECT_DOUBLE_EQ(rows[2].value.median, 600);
}

TEST(RemoteRows, DivideEachGroupCommitCallByItsSizeAndCompareWithACommitOfOne) {
  const std::vector<Row> rows = RemoteRows(
      {{1, ResultWithAB({100}, {10})},
       {2, ResultWithAB({200}, {30})},
       {6, ResultWithAB({600}, {60})}},
      kCfsWake, kCfsSyscall);
  EXPECT_EQ(rows[3].baseline_name, "CFS syscall");
  EXPECT_DOUBLE_EQ(rows[3].value.median, 10);
  EXPECT_DOUBLE_EQ(rows[4].value.median, 15);
  EXPECT_DOUBLE_EQ(rows[5].value.median, 10);
  EXPECT_EQ(rows[5].baseline_name, "ghost: commit syscall x1");
  EXPECT_DOUBLE_EQ(rows[5].baseline.median, 10);
}

TEST(RemoteRows, OfAFailedCommitOfOneNameItAsTheGroupRowsFailedBaseline) {
  const std::vector<Row> rows = RemoteRows(
      {{1, absl::AbortedError("no agent")}, {2, ResultWithAB({200}, {30})}},
      kCfsWake, kCfsSyscall);
  EXPECT_EQ(rows[0].failure, "no agent");
  EXPECT_EQ(rows[3].baseline_name,
            "ghost: commit syscall x1 (failed: no agent)");
  EXPECT_DOUBLE_EQ(rows[3].value.median, 15);
}

TEST(RemoteRows, OfAFailedGroupHaveItsReason) {
  const std::vector<Row> rows = RemoteRows(
      {{1, ResultWithAB({100}, {10})},
       {2, ResultWithAB({200}, {30})},
       {6, absl::DeadlineExceededError("a worker did not run")}},
      kCfsWake, kCfsSyscall);
  EXPECT_EQ(rows[2].failure, "a worker did not run");
  EXPECT_EQ(rows[5].failure, "a worker did not run");
}

}  // namespace
}  // namespace ghost::bench
