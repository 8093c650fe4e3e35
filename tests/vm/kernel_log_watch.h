// Watches the kernel log (/dev/kmsg) around one test case, so that a case
// during which the kernel reported a bug (KASAN, lockdep, WARN, BUG, a hung
// task...) fails by itself, named, instead of passing while the lab's
// console verdict alone catches the report at the end of the run.
//
//   KernelLogWatch watch;            // from now on
//   ... run the case ...
//   std::vector<std::string> bad = watch.Reports();   // lines since then
#ifndef GHOST_TESTS_VM_KERNEL_LOG_WATCH_H_
#define GHOST_TESTS_VM_KERNEL_LOG_WATCH_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace ghost::testing {

// Whether a kernel log line is one of the reports the lab treats as a
// failure (the same list as tools/lab/verdict.py).
bool IsKernelReport(absl::string_view line);

class KernelLogWatch {
 public:
  // Starts at the current end of the log. Without /dev/kmsg (not in the
  // VM), Reports() is always empty and available() false.
  KernelLogWatch();
  ~KernelLogWatch();
  KernelLogWatch(const KernelLogWatch&) = delete;
  KernelLogWatch& operator=(const KernelLogWatch&) = delete;

  bool available() const { return fd_ >= 0; }

  // The report lines logged since construction (or the last call), with the
  // few lines that follow each one for context.
  std::vector<std::string> Reports();

 private:
  int fd_ = -1;
};

}  // namespace ghost::testing

#endif  // GHOST_TESTS_VM_KERNEL_LOG_WATCH_H_
