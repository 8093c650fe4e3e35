// Which kernel interface an agent runs on (--backend), and what the
// sched_ext backend reads of sysfs before it loads.
#include "lib/runtime/backend_choice.h"

#include "gtest/gtest.h"
#include "lib/scx/sched_ext_state.h"
#include "tests/host/fake_sysfs.h"

namespace ghost {
namespace {

using ::ghost::testing::FakeSysfsRoot;
using ::ghost::testing::WriteSysfsFile;

TEST(BackendChoice, NamedBackendsAreTakenAsNamed) {
  EXPECT_EQ(*ChooseBackend("ghost", "/nonexistent", "/nonexistent"),
            Backend::kGhost);
  EXPECT_EQ(*ChooseBackend("sched_ext", "/nonexistent", "/nonexistent"),
            Backend::kSchedExt);
  EXPECT_FALSE(ChooseBackend("bpf", "/nonexistent", "/nonexistent").ok());
}

TEST(BackendChoice, AutoPrefersTheGhostKernel) {
  const std::string root = FakeSysfsRoot("auto_both");
  WriteSysfsFile(root + "/fs/ghost/version", "2\n");
  WriteSysfsFile(root + "/kernel/sched_ext/state", "disabled\n");
  EXPECT_EQ(*ChooseBackend("auto", root + "/fs/ghost", root), Backend::kGhost);
  EXPECT_EQ(*ChooseBackend("", root + "/fs/ghost", root), Backend::kGhost);
}

TEST(BackendChoice, AutoTakesSchedExtOnAStockKernel) {
  const std::string root = FakeSysfsRoot("auto_stock");
  WriteSysfsFile(root + "/kernel/sched_ext/state", "disabled\n");
  EXPECT_EQ(*ChooseBackend("auto", root + "/fs/ghost", root),
            Backend::kSchedExt);
}

TEST(BackendChoice, AutoWithNeitherSaysWhatIsMissing) {
  const std::string root = FakeSysfsRoot("auto_none");
  WriteSysfsFile(root + "/kernel/other", "x\n");
  absl::StatusOr<Backend> b = ChooseBackend("auto", root + "/fs/ghost", root);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("CONFIG_SCHED_CLASS_EXT"),
            std::string::npos);
}

TEST(SchedExtState, ReadsStateAndScheduler) {
  const std::string root = FakeSysfsRoot("scx_enabled");
  WriteSysfsFile(root + "/kernel/sched_ext/state", "enabled\n");
  WriteSysfsFile(root + "/kernel/sched_ext/root/ops", "ghost\n");
  WriteSysfsFile(root + "/kernel/sched_ext/enable_seq", "3\n");
  const scx::SchedExtState s = scx::ReadSchedExtState(root);
  EXPECT_TRUE(s.present);
  EXPECT_EQ(s.state, "enabled");
  EXPECT_EQ(s.ops, "ghost");
  EXPECT_EQ(s.enable_seq, 3u);
  absl::Status loadable = scx::CheckLoadable(s);
  EXPECT_FALSE(loadable.ok());
  EXPECT_NE(loadable.message().find("another ghost agent?"), std::string::npos)
      << loadable.message();
}

TEST(SchedExtState, DisabledIsLoadableAndAbsentIsNot) {
  const std::string root = FakeSysfsRoot("scx_disabled");
  WriteSysfsFile(root + "/kernel/sched_ext/state", "disabled\n");
  EXPECT_TRUE(scx::CheckLoadable(scx::ReadSchedExtState(root)).ok());
  const scx::SchedExtState none =
      scx::ReadSchedExtState(FakeSysfsRoot("scx_absent"));
  EXPECT_FALSE(none.present);
  absl::Status s = scx::CheckLoadable(none);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("no sched_ext"), std::string::npos);
}

}  // namespace
}  // namespace ghost
