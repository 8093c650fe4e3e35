#include "experiments/rocksdb/latency_summary.h"

#include <vector>

#include "gtest/gtest.h"

namespace ghost::rocksdb_exp {
namespace {

std::vector<int64_t> OneTo(int n) {
  std::vector<int64_t> v;
  for (int i = n; i >= 1; --i) v.push_back(i);  // descending on purpose
  return v;
}

TEST(Summarize, NoSamplesHasUnknownQuantiles) {
  const LatencySummary s = Summarize({});
  EXPECT_EQ(s.count, 0);
  EXPECT_EQ(s.p99, kUnknown);
  EXPECT_EQ(s.max, 0);
}

TEST(Summarize, NearestRankOfOneToAThousand) {
  const LatencySummary s = Summarize(OneTo(1000));
  EXPECT_EQ(s.count, 1000);
  EXPECT_EQ(s.p50, 500);
  EXPECT_EQ(s.p99, 990);
  EXPECT_EQ(s.p999, 999);
  EXPECT_EQ(s.max, 1000);
  EXPECT_DOUBLE_EQ(s.mean, 500.5);
}

TEST(Summarize, ExactRanksDoNotRoundUpPastTheValue) {
  // 0.99 * 100 is 99.00000000000001 in doubles; the rank is still 99.
  EXPECT_EQ(Summarize(OneTo(100)).p99, 99);
  EXPECT_EQ(Summarize(OneTo(100)).p50, 50);
}

TEST(Summarize, FewSamplesGiveTheLargestForHighQuantiles) {
  const LatencySummary s = Summarize({30, 10, 20});
  EXPECT_EQ(s.p50, 20);
  EXPECT_EQ(s.p99, 30);
  EXPECT_EQ(s.p999, 30);
}

TEST(Summarize, OneSlowRequestInAHundredIsTheP99Not) {
  std::vector<int64_t> v(99, 100);
  v.push_back(1'000'000);
  const LatencySummary s = Summarize(v);
  EXPECT_EQ(s.p99, 100);  // the 99th smallest
  EXPECT_EQ(s.p999, 1'000'000);
  EXPECT_EQ(s.max, 1'000'000);
}

TEST(Summarize, UnfinishedRequestsCountAsSlowerThanAll) {
  // 990 finished + 10 unfinished: the 990th is still known, the 991st not.
  const LatencySummary s = Summarize(OneTo(990), 10);
  EXPECT_EQ(s.count, 990);
  EXPECT_EQ(s.unfinished, 10);
  EXPECT_EQ(s.p50, 500);
  EXPECT_EQ(s.p99, 990);
  EXPECT_EQ(s.p999, kUnknown);
  EXPECT_EQ(s.max, 990);
}

TEST(Summarize, ManyUnfinishedMakeTheP99Unknown) {
  const LatencySummary s = Summarize(OneTo(100), 5);
  EXPECT_EQ(s.p50, 53);  // rank ceil(52.5) = 53 of 105
  EXPECT_EQ(s.p99, kUnknown);
}

TEST(Summarize, OnlyUnfinishedIsAllUnknown) {
  const LatencySummary s = Summarize({}, 4);
  EXPECT_EQ(s.count, 0);
  EXPECT_EQ(s.p50, kUnknown);
  EXPECT_EQ(s.p999, kUnknown);
}

}  // namespace
}  // namespace ghost::rocksdb_exp
