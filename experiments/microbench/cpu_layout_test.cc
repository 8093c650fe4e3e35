#include "experiments/microbench/cpu_layout.h"

#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace ghost::bench {
namespace {

TEST(LayoutFor, FourCpusGiveTheEnclaveOneToThreeAndTwoRemoteCpus) {
  const absl::StatusOr<CpuLayout> layout = LayoutFor(4);
  ASSERT_TRUE(layout.ok());
  EXPECT_EQ(layout->EnclaveCpus(), "1-3");
  EXPECT_EQ(layout->nr_remote(), 2);
  EXPECT_EQ(layout->RemoteCpu(0), 2);
  EXPECT_EQ(layout->RemoteCpu(1), 3);
}

TEST(LayoutFor, EightCpusGiveTheEnclaveOneToSevenAndSixRemoteCpus) {
  const absl::StatusOr<CpuLayout> layout = LayoutFor(8);
  ASSERT_TRUE(layout.ok());
  EXPECT_EQ(layout->EnclaveCpus(), "1-7");
  EXPECT_EQ(layout->nr_remote(), 6);
  EXPECT_EQ(layout->RemoteCpu(5), 7);
}

TEST(LayoutFor, FewerThanFourCpusIsAnErrorThatSaysWhatEachCpuIsFor) {
  const absl::StatusOr<CpuLayout> layout = LayoutFor(3);
  ASSERT_FALSE(layout.ok());
  EXPECT_EQ(layout.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(layout.status().message().find("at least 4 CPUs"),
            std::string::npos);
  EXPECT_NE(layout.status().message().find("has 3"), std::string::npos);
  EXPECT_NE(layout.status().message().find("--smp 4"), std::string::npos);
}

TEST(CpuLayout, EnclaveIsEveryCpuButTheBenchCpu) {
  const CpuLayout layout = *LayoutFor(5);
  EXPECT_FALSE(layout.InEnclave(0));
  EXPECT_TRUE(layout.InEnclave(1));
  EXPECT_TRUE(layout.InEnclave(4));
  EXPECT_FALSE(layout.InEnclave(5));
}

TEST(RemoteGroups, WithTwoRemoteCpusAreOneAndTwo) {
  EXPECT_EQ(LayoutFor(4)->RemoteGroups(8), (std::vector<int>{1, 2}));
}

TEST(RemoteGroups, WithMoreRemoteCpusAddAllOfThemInOneCommit) {
  EXPECT_EQ(LayoutFor(5)->RemoteGroups(8), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(LayoutFor(8)->RemoteGroups(8), (std::vector<int>{1, 2, 6}));
}

TEST(RemoteGroups, AreCappedAtTheLargestGroupTheBenchCanHold) {
  EXPECT_EQ(LayoutFor(16)->RemoteGroups(8), (std::vector<int>{1, 2, 8}));
}

}  // namespace
}  // namespace ghost::bench
