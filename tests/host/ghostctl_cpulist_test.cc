#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/ghostctl/cpulist.h"

namespace ghost::ctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(ParseCpuList, ReadsSinglesAndRangesSortedAndUnique) {
  absl::StatusOr<std::vector<int>> cpus = ParseCpuList("5,1-3,2\n");
  ASSERT_TRUE(cpus.ok()) << cpus.status();
  EXPECT_THAT(*cpus, ElementsAre(1, 2, 3, 5));
}

TEST(ParseCpuList, EmptyMeansNoCpus) {
  EXPECT_THAT(*ParseCpuList(""), IsEmpty());
  EXPECT_THAT(*ParseCpuList(" \n"), IsEmpty());
}

TEST(ParseCpuList, RejectsMalformedListsNamingTheSyntax) {
  for (const char* bad : {"a", "1,,2", "1-", "-1", "3-1", "1 2", "+1", "1-2-3",
                          "99999999", ",", "0x1"}) {
    absl::StatusOr<std::vector<int>> cpus = ParseCpuList(bad);
    ASSERT_FALSE(cpus.ok()) << bad;
    EXPECT_EQ(cpus.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(cpus.status().message(), HasSubstr("e.g. 1-3,6")) << bad;
  }
}

TEST(FormatCpuList, CollapsesRuns) {
  EXPECT_EQ(FormatCpuList({}), "");
  EXPECT_EQ(FormatCpuList({0}), "0");
  EXPECT_EQ(FormatCpuList({0, 1, 2, 5, 7, 8}), "0-2,5,7-8");
}

TEST(FormatCpuList, RoundTripsThroughParse) {
  for (const char* list : {"0", "1-3", "0-2,5,7-8", "3,5,7"}) {
    EXPECT_EQ(FormatCpuList(*ParseCpuList(list)), list);
  }
}

TEST(CheckCpuAssignment, AcceptsFreeOnlineCpus) {
  EXPECT_TRUE(CheckCpuAssignment(1, {1, 2}, {0, 1, 2, 3}, {{2, {3}}}).ok());
}

TEST(CheckCpuAssignment, TheEnclavesOwnCpusAreNoConflict) {
  EXPECT_TRUE(CheckCpuAssignment(1, {1, 2}, {0, 1, 2, 3}, {{1, {1}}}).ok());
}

TEST(CheckCpuAssignment, NamesTheEnclaveThatOwnsACpu) {
  absl::Status s = CheckCpuAssignment(1, {1, 2}, {0, 1, 2, 3}, {{4, {2, 3}}});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("CPU 2 belongs to enclave 4"));
}

TEST(CheckCpuAssignment, GroupsSeveralProblemsByKind) {
  absl::Status s =
      CheckCpuAssignment(1, {0, 1, 2, 3, 8, 9}, {0, 1, 2, 3}, {{4, {2, 3}}});
  EXPECT_THAT(s.message(), HasSubstr("CPUs 8-9 do not exist or are offline "
                                     "(online: 0-3); CPUs 2-3 belong to "
                                     "enclave 4"));
}

TEST(CheckCpuAssignment, NamesAnOfflineCpuAndTheOnlineOnes) {
  absl::Status s = CheckCpuAssignment(1, {9}, {0, 1, 2, 3}, {});
  EXPECT_THAT(s.message(), HasSubstr("CPU 9 does not exist or is offline "
                                     "(online: 0-3)"));
}

}  // namespace
}  // namespace ghost::ctl
