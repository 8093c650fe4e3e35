// A GoogleTest listener that prints the VM test runner's format:
//
//   ok 1 Ghostfs.MountsAtSysFsGhost
//   not ok 2 Ghostfs.VersionMatchesLibrary
//   #   tests/vm/ghostfs_test.cc:40: Expected equality ...
//   ...
//   1 passed, 1 failed
//
// fails a test during which the kernel logged a report (KASAN, lockdep,
// WARN...: kernel_log_watch.h), printing the report under its name, and
// bounds each test's run time: a test still running after its budget is
// reported as "not ok N name # timed out" and the runner exits, so a hang is
// named instead of showing up only as a VM timeout.
#ifndef GHOST_TESTS_VM_TAP_LISTENER_H_
#define GHOST_TESTS_VM_TAP_LISTENER_H_

#include <memory>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/vm/kernel_log_watch.h"

namespace ghost::testing {

class TapListener : public ::testing::EmptyTestEventListener {
 public:
  explicit TapListener(absl::Duration per_test_timeout);

  void OnTestStart(const ::testing::TestInfo& info) override;
  void OnTestPartResult(const ::testing::TestPartResult& result) override;
  void OnTestEnd(const ::testing::TestInfo& info) override;
  void OnTestProgramEnd(const ::testing::UnitTest& unit) override;

 private:
  absl::Duration per_test_timeout_;
  int number_ = 0;
  int passed_ = 0;
  int failed_ = 0;
  std::unique_ptr<KernelLogWatch> kernel_log_;
};

// Replaces GoogleTest's default printer with a TapListener.
void InstallTapListener(absl::Duration per_test_timeout);

}  // namespace ghost::testing

#endif  // GHOST_TESTS_VM_TAP_LISTENER_H_
