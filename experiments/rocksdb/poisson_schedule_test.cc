#include "experiments/rocksdb/poisson_schedule.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace ghost::rocksdb_exp {
namespace {

std::vector<double> Gaps(double rate, uint64_t seed, int n) {
  PoissonSchedule s(rate, seed, 1000);
  std::vector<double> gaps;
  int64_t prev = 1000;
  for (int i = 0; i < n; ++i) {
    const int64_t t = s.Next();
    gaps.push_back(static_cast<double>(t - prev));
    prev = t;
  }
  return gaps;
}

TEST(PoissonSchedule, MeanGapIsOneOverTheRate) {
  const std::vector<double> gaps = Gaps(10000, 7, 200000);
  double sum = 0;
  for (double g : gaps) sum += g;
  // 100 us mean; 200k samples put the mean within ~0.3% (1 sigma).
  EXPECT_NEAR(sum / gaps.size(), 100000, 1500);
}

TEST(PoissonSchedule, GapsAreExponentialNotRegular) {
  const std::vector<double> gaps = Gaps(1000, 3, 100000);
  double sum = 0, sq = 0;
  int shorter_than_mean = 0;
  for (double g : gaps) {
    sum += g;
    sq += g * g;
    if (g < 1e6) ++shorter_than_mean;
  }
  const double mean = sum / gaps.size();
  const double cv = std::sqrt(sq / gaps.size() - mean * mean) / mean;
  EXPECT_NEAR(cv, 1.0, 0.03);  // exponential: sd == mean
  // P(gap < mean) = 1 - 1/e = 0.632 for an exponential.
  EXPECT_NEAR(shorter_than_mean / 100000.0, 0.632, 0.01);
}

TEST(PoissonSchedule, SameSeedSameArrivals) {
  EXPECT_EQ(Gaps(500, 42, 100), Gaps(500, 42, 100));
  EXPECT_NE(Gaps(500, 42, 100), Gaps(500, 43, 100));
}

TEST(PoissonSchedule, ArrivalsStrictlyIncreaseEvenAtHugeRates) {
  PoissonSchedule s(1e12, 1, 0);  // mean gap 0.001 ns
  int64_t prev = 0;
  for (int i = 0; i < 1000; ++i) {
    const int64_t t = s.Next();
    ASSERT_GT(t, prev);
    prev = t;
  }
}

TEST(PoissonSchedule, StartsAfterTheStartTime) {
  PoissonSchedule s(100, 1, 5'000'000'000);
  EXPECT_GT(s.Next(), 5'000'000'000);
}

}  // namespace
}  // namespace ghost::rocksdb_exp
