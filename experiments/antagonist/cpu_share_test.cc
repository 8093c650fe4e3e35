#include "experiments/antagonist/cpu_share.h"

#include "gtest/gtest.h"

namespace ghost::antagonist {
namespace {

TEST(SharesBetween, CpuTimeOverWallTimePerThread) {
  const ShareSample a{.t_ns = 1'000, .cpu_ns = {0, 500, 0}};
  const ShareSample b{.t_ns = 3'000, .cpu_ns = {2'000, 1'500, 0}};
  const std::vector<double> s = SharesBetween(a, b);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_DOUBLE_EQ(s[0], 1.0);  // ran all the time
  EXPECT_DOUBLE_EQ(s[1], 0.5);  // half
  EXPECT_DOUBLE_EQ(s[2], 0.0);  // starved
  EXPECT_DOUBLE_EQ(TotalCpus(s), 1.5);
}

TEST(SharesBetween, MismatchedOrEmptyIntervalsGiveNothing) {
  const ShareSample a{.t_ns = 5, .cpu_ns = {1}};
  EXPECT_TRUE(SharesBetween(a, a).empty());
  EXPECT_TRUE(SharesBetween(a, {.t_ns = 9, .cpu_ns = {1, 2}}).empty());
}

}  // namespace
}  // namespace ghost::antagonist
