// The dispatcher's exit codes and messages for misuse, checked before any
// command touches ghostfs (so it runs on the host).
#include <cstdio>
#include <string>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/host/ghostctl_outcome.h"
#include "tools/ghostctl/command_table.h"

namespace ghost::ctl {
namespace {

using ::testing::HasSubstr;

TEST(Dispatch, MisuseIsExitTwoWithTheCommandsUsage) {
  const std::vector<std::vector<std::string>> bad = {
      {},
      {"frobnicate"},
      {"enclave"},
      {"enclave", "frob"},
      {"enclave", "create"},
      {"enclave", "create", "x"},
      {"enclave", "create", "-1"},
      {"enclave", "create", "1", "--cpus", "1-"},
      {"enclave", "create", "1", "--bogus"},
      {"enclave", "cpus", "7"},
      {"enclave", "cpus", "7", "a-b"},
      {"enclave", "status", "7", "8"},
      {"move", "7"},
      {"move", "7", "abc"},
      {"move", "7", "0"},
      {"run", "--", "true"},
      {"run", "--enclave", "7"},
      {"run", "--enclave", "x", "true"},
      {"watch", "--count", "0"},
      {"watch", "--interval", "soon"},
      {"status", "extra"},
      {"--ghostfs"},
  };
  for (const std::vector<std::string>& words : bad) {
    Outcome o = Ghostctl(words);
    const std::string what = ::testing::PrintToString(words);
    EXPECT_EQ(o.rc, kExitUsage) << what << ": " << o.err;
    EXPECT_THAT(o.err, HasSubstr("usage:")) << what;
  }
}

TEST(Dispatch, OldFormsPointToTheirNewSpelling) {
  Outcome o = Ghostctl({"create", "1"});
  EXPECT_EQ(o.rc, kExitUsage);
  EXPECT_THAT(o.err, HasSubstr("did you mean 'ghostctl enclave create'"));
  EXPECT_THAT(Ghostctl({"show", "1"}).err,
              HasSubstr("did you mean 'ghostctl enclave status'"));
}

TEST(Dispatch, HelpIsExitZeroOnStdout) {
  for (const std::vector<std::string>& words :
       std::vector<std::vector<std::string>>{{"--help"},
                                             {"help"},
                                             {"help", "move"},
                                             {"enclave", "--help"},
                                             {"enclave", "create", "--help"},
                                             {"run", "--help"},
                                             {"watch", "-h"}}) {
    Outcome o = Ghostctl(words);
    EXPECT_EQ(o.rc, kExitOk) << ::testing::PrintToString(words);
    EXPECT_FALSE(o.out.empty());
  }
  EXPECT_THAT(Ghostctl({"move", "--help"}).out, HasSubstr("--thread"));
}

TEST(Dispatch, EveryCommandHasHelp) {
  for (const Command& c : Commands()) {
    std::vector<std::string> words = absl::StrSplit(c.name, ' ');
    words.push_back("--help");
    Outcome o = Ghostctl(words);
    EXPECT_EQ(o.rc, kExitOk) << c.name;
    EXPECT_THAT(o.out, HasSubstr("usage: ghostctl " + c.name)) << c.name;
  }
}

TEST(Dispatch, NoGhostfsFailsWithTheMountCommand) {
  Outcome o = Ghostctl({"--ghostfs", "/no/such/ghostfs", "enclave", "list"});
  EXPECT_EQ(o.rc, kExitFailed);
  EXPECT_THAT(o.err, HasSubstr("mount -t ghost none /no/such/ghostfs"));
}

}  // namespace
}  // namespace ghost::ctl
