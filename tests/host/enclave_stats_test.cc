#include "lib/abi/enclave_stats.h"

#include <sys/stat.h>

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ghost {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

TEST(ParseEnclaveStatus, ReadsEveryKernelLine) {
  absl::StatusOr<EnclaveStatus> s =
      ParseEnclaveStatus("id 7\ncpus 1-3,5\ntasks 4\nstate live\n");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->id, 7u);
  EXPECT_EQ(s->cpus, "1-3,5");
  EXPECT_EQ(s->tasks, 4u);
  EXPECT_EQ(s->state, "live");
}

TEST(ParseEnclaveStatus, AnEnclaveWithNoCpusHasAnEmptyList) {
  absl::StatusOr<EnclaveStatus> s =
      ParseEnclaveStatus("id 1\ncpus \ntasks 0\nstate dying\n");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->cpus, "");
  EXPECT_EQ(s->state, "dying");
}

TEST(ParseEnclaveStatus, IgnoresLinesANewerKernelAdds) {
  absl::StatusOr<EnclaveStatus> s = ParseEnclaveStatus(
      "id 1\ncpus 0\ntasks 2\nstate dying\nrunnable_timeout_ms 10\n"
      "reason watchdog: thread 5 (gtid 9) was runnable for 12 ms\n");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->tasks, 2u);
  EXPECT_EQ(s->agents, std::nullopt);
}

TEST(ParseEnclaveStatus, ReadsTheAgentCountOfAbi2) {
  absl::StatusOr<EnclaveStatus> s =
      ParseEnclaveStatus("id 1\ncpus 0\ntasks 2\nagents 1\nstate live\n");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->agents, 1u);
}

TEST(ParseEnclaveStatus, RejectsMissingOrMalformedLines) {
  EXPECT_FALSE(ParseEnclaveStatus("id 1\ncpus 0\n").ok());
  EXPECT_FALSE(ParseEnclaveStatus("id x\ncpus 0\ntasks 1\nstate live\n").ok());
  absl::StatusOr<EnclaveStatus> s = ParseEnclaveStatus("garbage\n");
  EXPECT_THAT(s.status().message(), HasSubstr("\"garbage\""));
}

TEST(ParseEnclaveStats, KeepsTheFileOrder) {
  absl::StatusOr<EnclaveStats> s =
      ParseEnclaveStats("msg_new 3\nmsg_dropped 0\ntxn_complete 12\n");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_THAT(*s, ElementsAre(Pair("msg_new", 3), Pair("msg_dropped", 0),
                              Pair("txn_complete", 12)));
  EXPECT_EQ(FindStat(*s, "txn_complete"), 12);
  EXPECT_EQ(FindStat(*s, "txn_poisoned"), std::nullopt);
}

TEST(ParseEnclaveStats, RejectsANonNumericValue) {
  absl::StatusOr<EnclaveStats> s = ParseEnclaveStats("msg_new three\n");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("msg_new three"));
}

TEST(ReadOptionalEnclaveFile, AbsentIsNulloptPresentIsTrimmed) {
  const std::string root = ::testing::TempDir() + "/fake_ghostfs_stats";
  mkdir(root.c_str(), 0755);
  mkdir((root + "/enclave_3").c_str(), 0755);
  std::ofstream(root + "/enclave_3/agent_online") << "2\n";
  Enclave e(3, root);
  absl::StatusOr<std::optional<std::string>> present =
      ReadOptionalEnclaveFile(e, "agent_online");
  ASSERT_TRUE(present.ok()) << present.status();
  EXPECT_EQ(*present, "2");
  absl::StatusOr<std::optional<std::string>> absent =
      ReadOptionalEnclaveFile(e, "runnable_timeout");
  ASSERT_TRUE(absent.ok()) << absent.status();
  EXPECT_EQ(*absent, std::nullopt);
}

}  // namespace
}  // namespace ghost
