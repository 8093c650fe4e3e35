#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/ghostctl/args.h"

namespace ghost::ctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::vector<OptionSpec> kSpec = {{"cpus", true, "LIST"}, {"json", false}};

TEST(ParseArgs, SplitsPositionalsFromOptionsInAnyOrder) {
  absl::StatusOr<ParsedArgs> a =
      ParseArgs({"--cpus", "1-3", "7", "--json"}, kSpec, false);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_THAT(a->positional, ElementsAre("7"));
  EXPECT_EQ(a->Get("cpus"), "1-3");
  EXPECT_TRUE(a->Has("json"));
  EXPECT_FALSE(a->help);
}

TEST(ParseArgs, AcceptsNameEqualsValue) {
  absl::StatusOr<ParsedArgs> a = ParseArgs({"--cpus=0,2"}, kSpec, false);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->Get("cpus"), "0,2");
}

TEST(ParseArgs, AnEmptyValueIsAValue) {
  absl::StatusOr<ParsedArgs> a = ParseArgs({"7", ""}, kSpec, false);
  ASSERT_TRUE(a.ok());
  EXPECT_THAT(a->positional, ElementsAre("7", ""));
}

TEST(ParseArgs, HelpAnywhere) {
  EXPECT_TRUE(ParseArgs({"7", "--help"}, kSpec, false)->help);
  EXPECT_TRUE(ParseArgs({"-h"}, kSpec, false)->help);
}

TEST(ParseArgs, RejectsUnknownOptionsAndMissingValues) {
  EXPECT_THAT(ParseArgs({"--frob"}, kSpec, false).status().message(),
              HasSubstr("unknown option --frob"));
  EXPECT_THAT(ParseArgs({"--cpus"}, kSpec, false).status().message(),
              HasSubstr("--cpus needs a value"));
  EXPECT_THAT(ParseArgs({"--json=1"}, kSpec, false).status().message(),
              HasSubstr("takes no value"));
  EXPECT_FALSE(ParseArgs({"-x"}, kSpec, false).ok());
}

TEST(ParseArgs, DoubleDashEndsOptions) {
  absl::StatusOr<ParsedArgs> a =
      ParseArgs({"--json", "--", "ls", "--cpus"}, kSpec, false);
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->dashdash);
  EXPECT_THAT(a->positional, IsEmpty());
  EXPECT_THAT(a->rest, ElementsAre("ls", "--cpus"));
}

TEST(ParseArgs, StopAtFirstPositionalLeavesTheCommandsOwnFlags) {
  absl::StatusOr<ParsedArgs> a =
      ParseArgs({"--cpus", "1", "sh", "-c", "exit 3"}, kSpec, true);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->Get("cpus"), "1");
  EXPECT_THAT(a->rest, ElementsAre("sh", "-c", "exit 3"));
}

}  // namespace
}  // namespace ghost::ctl
