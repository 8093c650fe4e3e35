#include "tests/vm/tap_listener.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "absl/strings/str_split.h"

namespace ghost::testing {
namespace {

// Written before each test so the SIGALRM handler can name it without
// calling into GoogleTest (only async-signal-safe calls in the handler).
char g_current_test[256];

void OnTimeout(int) {
  const char* parts[] = {"not ok ", g_current_test,
                         " # timed out: the test hung; runner stops here\n"};
  for (const char* part : parts) {
    ssize_t unused = write(STDOUT_FILENO, part, strlen(part));
    (void)unused;
  }
  _exit(3);
}

std::string FullName(const ::testing::TestInfo& info) {
  return std::string(info.test_suite_name()) + "." + info.name();
}

}  // namespace

TapListener::TapListener(absl::Duration per_test_timeout)
    : per_test_timeout_(per_test_timeout) {
  signal(SIGALRM, OnTimeout);
}

void TapListener::OnTestStart(const ::testing::TestInfo& info) {
  ++number_;
  snprintf(g_current_test, sizeof(g_current_test), "%d %s", number_,
           FullName(info).c_str());
  fflush(stdout);
  kernel_log_ = std::make_unique<KernelLogWatch>();
  alarm(static_cast<unsigned>(absl::ToInt64Seconds(per_test_timeout_)));
}

void TapListener::OnTestPartResult(const ::testing::TestPartResult& result) {
  if (!result.failed()) return;
  printf("#   %s:%d\n", result.file_name() ? result.file_name() : "?",
         result.line_number());
  for (absl::string_view line : absl::StrSplit(result.message(), '\n')) {
    printf("#     %.*s\n", static_cast<int>(line.size()), line.data());
  }
}

void TapListener::OnTestEnd(const ::testing::TestInfo& info) {
  alarm(0);
  // A kernel report during the case fails it, whatever it asserted.
  const std::vector<std::string> reports = kernel_log_->Reports();
  for (const std::string& line : reports) {
    printf("#   kernel: %s\n", line.c_str());
  }
  const bool ok = reports.empty() &&
                  (info.result()->Passed() || info.result()->Skipped());
  (ok ? passed_ : failed_)++;
  printf("%s %d %s%s\n", ok ? "ok" : "not ok", number_, FullName(info).c_str(),
         !reports.empty()           ? " # the kernel reported a bug"
         : info.result()->Skipped() ? " # skipped"
                                    : "");
  fflush(stdout);
}

void TapListener::OnTestProgramEnd(const ::testing::UnitTest&) {
  printf("%d passed, %d failed\n", passed_, failed_);
  fflush(stdout);
}

void InstallTapListener(absl::Duration per_test_timeout) {
  ::testing::TestEventListeners& listeners =
      ::testing::UnitTest::GetInstance()->listeners();
  delete listeners.Release(listeners.default_result_printer());
  listeners.Append(new TapListener(per_test_timeout));
}

}  // namespace ghost::testing
