#include <sys/stat.h>

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/ghostctl/proc_threads.h"

namespace ghost::ctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A fake /proc with process 100 (threads 100, 101, 105) and its stat and
// status files.
class FakeProc : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = ::testing::TempDir() + "/fake_proc";
    for (const std::string d :
         {"", "/100", "/100/task", "/100/task/100", "/100/task/105",
          "/100/task/101", "/101", "/200", "/200/task"}) {
      mkdir((root_ + d).c_str(), 0755);
    }
    std::ofstream(root_ + "/100/stat") << "100 (my (odd) prog) S 1 100 100\n";
    std::ofstream(root_ + "/101/status") << "Name:\tw\nTgid:\t100\nPid:\t101\n";
  }
  std::string root_;
};

TEST_F(FakeProc, ListsEveryThreadOfTheProcess) {
  absl::StatusOr<std::vector<pid_t>> tids = ListThreads(root_, 100);
  ASSERT_TRUE(tids.ok()) << tids.status();
  EXPECT_THAT(*tids, ElementsAre(100, 101, 105));
}

TEST_F(FakeProc, AMissingProcessIsNotFoundAndSaysSo) {
  absl::StatusOr<std::vector<pid_t>> tids = ListThreads(root_, 999);
  EXPECT_EQ(tids.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(tids.status().message(), HasSubstr("no process or thread 999"));
}

TEST_F(FakeProc, AZombieWithNoThreadsIsNotFound) {
  EXPECT_EQ(ListThreads(root_, 200).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(FakeProc, ReadsTheStateAfterACommandNameWithParentheses) {
  EXPECT_EQ(*ReadProcessState(root_, 100), 'S');
  EXPECT_EQ(ReadProcessState(root_, 999).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(FakeProc, ReadsTheTgid) { EXPECT_EQ(*ReadTgid(root_, 101), 100); }

TEST(ParseStatState, RejectsAGarbledLine) {
  EXPECT_FALSE(ParseStatState("100 no parens R").ok());
  EXPECT_FALSE(ParseStatState("100 (x)").ok());
  EXPECT_EQ(*ParseStatState("1 (init) R 0"), 'R');
}

}  // namespace
}  // namespace ghost::ctl
