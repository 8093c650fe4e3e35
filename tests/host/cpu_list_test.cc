#include "lib/util/cpu_list.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ghost {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(CpuListTest, ParsesRangesAndSingles) {
  absl::StatusOr<std::vector<int>> cpus = ParseCpuList("0-2,5\n");
  ASSERT_TRUE(cpus.ok()) << cpus.status();
  EXPECT_THAT(*cpus, ElementsAre(0, 1, 2, 5));
}

TEST(CpuListTest, EmptyTextIsTheEmptyList) {
  EXPECT_THAT(*ParseCpuList(""), IsEmpty());
  EXPECT_THAT(*ParseCpuList("\n"), IsEmpty());
}

TEST(CpuListTest, SortsAndDropsDuplicates) {
  EXPECT_THAT(*ParseCpuList("3,1-2,2"), ElementsAre(1, 2, 3));
}

TEST(CpuListTest, RejectsMalformedListsNamingThePart) {
  for (const char* bad : {"a", "1-", "-1", "3-1", "1,,2", "1-2-3", "+1"}) {
    absl::StatusOr<std::vector<int>> cpus = ParseCpuList(bad);
    EXPECT_FALSE(cpus.ok()) << bad;
    EXPECT_EQ(cpus.status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_THAT(ParseCpuList("0,x").status().message(), HasSubstr("\"x\""));
}

TEST(CpuListTest, FormatsTheShortestList) {
  EXPECT_EQ(FormatCpuList({5, 0, 1, 2}), "0-2,5");
  EXPECT_EQ(FormatCpuList({}), "");
  EXPECT_EQ(FormatCpuList({3}), "3");
}

}  // namespace
}  // namespace ghost
