// Entry point of ghost_vm_tests, the VM test runner: every case of the
// ABI tier, run serially in one process inside the lab VM.
//
//   ghost_vm_tests [--test_timeout=180s] [--gtest_filter=Ghostfs.*]
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/vm/tap_listener.h"

ABSL_FLAG(absl::Duration, test_timeout, absl::Seconds(180),
          "Budget of one test case; a case that exceeds it fails the run.");

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  absl::ParseCommandLine(argc, argv);
  ghost::testing::InstallTapListener(absl::GetFlag(FLAGS_test_timeout));
  return RUN_ALL_TESTS();
}
