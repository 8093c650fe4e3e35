#include "experiments/microbench/bench_report.h"

#include <string>

#include "gtest/gtest.h"

namespace ghost::bench {
namespace {

TEST(Summarize, NoSamplesGivesAnEmptySummary) {
  EXPECT_EQ(Summarize({}).count, 0);
}

TEST(Summarize, OddCountTakesTheMiddleValueAsMedian) {
  const Summary s = Summarize({500, 100, 300});
  EXPECT_EQ(s.count, 3);
  EXPECT_DOUBLE_EQ(s.median, 300);
  EXPECT_DOUBLE_EQ(s.mean, 300);
  EXPECT_DOUBLE_EQ(s.min, 100);
  EXPECT_DOUBLE_EQ(s.max, 500);
}

TEST(Summarize, EvenCountAveragesTheTwoMiddleValues) {
  EXPECT_DOUBLE_EQ(Summarize({4, 1, 3, 2}).median, 2.5);
}

TEST(Summarize, P99IsTheNearestRank) {
  std::vector<uint64_t> v;
  for (uint64_t i = 1; i <= 200; ++i) v.push_back(i);
  EXPECT_DOUBLE_EQ(Summarize(v).p99, 198);  // ceil(0.99 * 200) = 198th
  EXPECT_DOUBLE_EQ(Summarize({7}).p99, 7);
}

TEST(Summarize, OneOutlierMovesTheMeanButNotTheMedian) {
  const Summary s = Summarize({100, 100, 100, 100, 10000});
  EXPECT_DOUBLE_EQ(s.median, 100);
  EXPECT_DOUBLE_EQ(s.mean, 2080);
}

TEST(Ratio, DividesMediansOrMeans) {
  const Summary a = Summarize({300, 300, 900});  // median 300, mean 500
  const Summary b = Summarize({100, 100, 100});
  EXPECT_DOUBLE_EQ(Ratio(a, b, true), 3);
  EXPECT_DOUBLE_EQ(Ratio(a, b, false), 5);
}

TEST(Ratio, IsZeroWhenASideHasNoSamples) {
  EXPECT_EQ(Ratio(Summarize({1}), Summary{}, true), 0);
  EXPECT_EQ(Ratio(Summary{}, Summarize({1}), false), 0);
}

TEST(FormatTable, ShowsTheRatioAgainstTheBaseline) {
  const Row row{"local", Summarize({150}), "CFS switch", Summarize({100}), ""};
  const std::string table = FormatTable({row});
  EXPECT_NE(table.find("CFS switch"), std::string::npos) << table;
  EXPECT_NE(table.find("1.50x"), std::string::npos) << table;
}

TEST(FormatTable, NamesAFailedRowAndItsReason) {
  Row row;
  row.name = "remote latch x1";
  row.failure = "worker 0 did not run within 5 s";
  const std::string table = FormatTable({row});
  EXPECT_NE(table.find("remote latch x1"), std::string::npos);
  EXPECT_NE(table.find("FAILED remote latch x1: worker 0 did not run within 5 s"),
            std::string::npos)
      << table;
}

TEST(JsonString, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(JsonString("a\"b\\c\nd\x01"), "\"a\\\"b\\\\c\\nd\\u0001\"");
}

TEST(FormatJson, WritesMetaRowsAndRatios) {
  const Row ok{"local", Summarize({200}), "CFS", Summarize({100}), ""};
  Row failed;
  failed.name = "remote";
  failed.failure = "agent detached";
  const std::string json = FormatJson({{"rounds", "10"}}, {ok, failed});
  EXPECT_NE(json.find("\"rounds\": \"10\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"ratio_median\": 2.000"), std::string::npos) << json;
  EXPECT_NE(json.find("\"failure\": \"agent detached\""), std::string::npos) << json;
  EXPECT_EQ(json.find("\"value\"", json.find("\"remote\"")), std::string::npos)
      << "a failed row has no value: " << json;
}

}  // namespace
}  // namespace ghost::bench
