// CpuSet: membership for every CPU the machine may have, not only the
// first 64, and no allocation once sized.
#include "lib/util/cpu_set.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ghost {
namespace {

using ::testing::ElementsAre;

TEST(CpuSetTest, HoldsCpusPastSixtyFour) {
  CpuSet s(128);
  s.Add(3);
  s.Add(64);
  s.Add(70);
  s.Add(127);
  EXPECT_TRUE(s.Contains(70));
  EXPECT_TRUE(s.Contains(64));
  EXPECT_FALSE(s.Contains(6)) << "70 % 64: a 64-bit mask would say yes";
  EXPECT_FALSE(s.Contains(71));
  EXPECT_EQ(s.size(), 4);
  EXPECT_THAT(s.ToVector(), ElementsAre(3, 64, 70, 127));
  s.Remove(70);
  EXPECT_FALSE(s.Contains(70));
  EXPECT_TRUE(s.Contains(64));
}

TEST(CpuSetTest, HoldsCpusPastAThousandAndTwentyFour) {
  CpuSet s(2048);
  s.Add(1025);
  s.Add(2047);
  EXPECT_TRUE(s.Contains(1025));
  EXPECT_TRUE(s.Contains(2047));
  EXPECT_FALSE(s.Contains(1024));
  EXPECT_FALSE(s.Contains(1));
  EXPECT_EQ(s.capacity(), 2048);
}

TEST(CpuSetTest, ACpuBeyondTheSizeIsInNoSetAndAddingItGrows) {
  CpuSet s(64);
  EXPECT_FALSE(s.Contains(64));
  EXPECT_FALSE(s.Contains(5000));
  EXPECT_FALSE(s.Contains(-1));
  s.Add(1100);
  EXPECT_TRUE(s.Contains(1100));
  EXPECT_GE(s.capacity(), 1101);
  s.Add(-3);  // not a CPU: ignored
  EXPECT_EQ(s.size(), 1);
}

TEST(CpuSetTest, ClearEmptiesWithoutShrinking) {
  CpuSet s = CpuSet::Of({1, 90, 1200});
  EXPECT_EQ(s.size(), 3);
  const int capacity = s.capacity();
  s.Clear();
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.capacity(), capacity);
}

TEST(CpuSetTest, EqualityIgnoresTheSize) {
  CpuSet small = CpuSet::Of({2, 65});
  CpuSet large = CpuSet::Of({2, 65}, 4096);
  EXPECT_TRUE(small == large);
  large.Add(4000);
  EXPECT_FALSE(small == large);
}

TEST(CpuSetTest, TheMachineHasAtLeastOneCpu) {
  EXPECT_GE(CpuSet::MachineCpus(), 1);
}

}  // namespace
}  // namespace ghost
