// ghostctl, the user's command line, run as a user would run it in the VM.
#include <sched.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/enclave.h"
#include "lib/ghostfs_mount.h"
#include "lib/uapi/linux/ghost.h"
#include "tests/vm/blocked_child.h"

namespace ghost {
namespace {

using ::ghost::testing::BlockedChild;
using ::testing::HasSubstr;

constexpr char kGhostctl[] = "/ghost/bin/ghostctl";

struct Result {
  int exit_code;
  std::string output;  // stdout and stderr
};

Result Ghostctl(const std::string& args) {
  const std::string command = absl::StrCat(kGhostctl, " ", args, " 2>&1");
  Result r{-1, ""};
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[512];
  while (fgets(buf, sizeof(buf), pipe) != nullptr) r.output += buf;
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

class GhostctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(Exists(kGhostctl)) << kGhostctl << " is not in the VM";
    ASSERT_TRUE(EnsureGhostfsMounted(GHOSTFS_MOUNT_POINT).ok());
    Ghostctl("destroy 7");
    Ghostctl("destroy 8");
  }
  void TearDown() override {
    Ghostctl("destroy 7");
    Ghostctl("destroy 8");
  }
};

TEST_F(GhostctlTest, StatusShowsMatchingAbiVersions) {
  Result r = Ghostctl("status");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr(absl::StrCat(
                            "kernel ABI version: ", GHOST_ABI_VERSION, "\n")));
  EXPECT_THAT(r.output, HasSubstr("(matches)"));
}

TEST_F(GhostctlTest, CreateMoveShowDestroyRoundTrip) {
  Result r = Ghostctl("create 7 --cpus 1-2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  Enclave e(7, GHOSTFS_MOUNT_POINT);
  EXPECT_EQ(*e.Cpus(), "1-2");

  BlockedChild child;
  r = Ghostctl(absl::StrCat("move 7 ", child.pid()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(sched_getscheduler(child.pid()), SCHED_GHOST);

  r = Ghostctl("show 7");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr(absl::StrCat("threads: ", child.pid())));

  r = Ghostctl("destroy 7");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(Exists(e.dir()));
  EXPECT_EQ(sched_getscheduler(child.pid()), SCHED_OTHER);
}

TEST_F(GhostctlTest, CreatingAnExistingEnclaveSaysSoAndFails) {
  ASSERT_EQ(Ghostctl("create 7").exit_code, 0);
  Result r = Ghostctl("create 7");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("exists"));
}

TEST_F(GhostctlTest, CreateWithBadCpusKeepsNoEnclave) {
  Result r = Ghostctl("create 8 --cpus 99");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("was not kept"));
  EXPECT_FALSE(Exists(std::string(GHOSTFS_MOUNT_POINT) + "/enclave_8"));
}

TEST_F(GhostctlTest, MovingAMissingThreadFailsWithAHint) {
  ASSERT_EQ(Ghostctl("create 7").exit_code, 0);
  Result r = Ghostctl("move 7 999999");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("No such process"));
}

TEST_F(GhostctlTest, MisuseFailsWithUsage) {
  for (const char* bad : {"", "frobnicate 1", "create", "create x", "move 7",
                          "cpus 7", "status extra"}) {
    Result r = Ghostctl(bad);
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.output;
    EXPECT_THAT(r.output, HasSubstr("commands:")) << bad;
  }
}

}  // namespace
}  // namespace ghost
