#include "experiments/rocksdb/service_choice.h"

#include "gtest/gtest.h"

namespace ghost::rocksdb_exp {
namespace {

TEST(ChooseServiceTimes, SchedulingCostDecidesWhenGetsAreCheap) {
  const ServiceChoice c = ChooseServiceTimes(
      {.get_ns = 30'000, .range_ns = 900'000, .sched_round_trip_ns = 150'000},
      {});
  EXPECT_EQ(c.get_ns, 750'000);
  EXPECT_EQ(c.range_ns, 15'000'000);
  EXPECT_EQ(c.why_get, "scheduling round trip");
}

TEST(ChooseServiceTimes, RealWorkDecidesWhenGetsAreExpensive) {
  const ServiceChoice c = ChooseServiceTimes(
      {.get_ns = 1'234'567, .range_ns = 5'000'000, .sched_round_trip_ns = 1000},
      {});
  EXPECT_EQ(c.get_ns, 1'240'000);  // rounded up to 10 us
  EXPECT_EQ(c.why_get, "real Get work");
}

TEST(ChooseServiceTimes, RangeNeverBelowItsRealWork) {
  const ServiceChoice c = ChooseServiceTimes(
      {.get_ns = 10'000, .range_ns = 9'000'000, .sched_round_trip_ns = 10'000},
      {.sched_multiple = 5, .range_multiple = 20});
  EXPECT_EQ(c.get_ns, 50'000);
  EXPECT_EQ(c.range_ns, 9'000'000);  // 20 x 50 us = 1 ms is less
}

TEST(ChooseServiceTimes, MultiplesAreHonoured) {
  const ServiceChoice c = ChooseServiceTimes(
      {.get_ns = 1, .range_ns = 1, .sched_round_trip_ns = 100'000},
      {.sched_multiple = 3, .range_multiple = 10, .round_to_ns = 1});
  EXPECT_EQ(c.get_ns, 300'000);
  EXPECT_EQ(c.range_ns, 3'000'000);
}

TEST(ChooseServiceTimes, DispatchCapacityBoundsTheRateAtFullLoad) {
  // 1000 requests/s through the dispatcher; at load 1.0 at most 250/s:
  // a mean service of 3 CPUs / 250/s = 12 ms, of which a Get is
  // 12 / (0.99 + 0.01 x 20) = 10.08 ms.
  const ServiceChoice c = ChooseServiceTimes({.get_ns = 10'000,
                                              .range_ns = 100'000,
                                              .sched_round_trip_ns = 20'000,
                                              .dispatch_capacity_rps = 1000},
                                             {});
  EXPECT_EQ(c.get_ns, 10'090'000);
  EXPECT_EQ(c.range_ns, 201'800'000);
  EXPECT_EQ(c.why_get, "dispatch capacity");
  const double mean_s = (0.99 * c.get_ns + 0.01 * c.range_ns) / 1e9;
  EXPECT_LE(3 / mean_s, 1000 / 4.0);
}

TEST(ChooseServiceTimes, AFastDispatcherLeavesTheRoundTripInCharge) {
  const ServiceChoice c = ChooseServiceTimes({.get_ns = 10'000,
                                              .range_ns = 100'000,
                                              .sched_round_trip_ns = 20'000,
                                              .dispatch_capacity_rps = 1e9},
                                             {});
  EXPECT_EQ(c.get_ns, 100'000);
  EXPECT_EQ(c.why_get, "scheduling round trip");
}

}  // namespace
}  // namespace ghost::rocksdb_exp
