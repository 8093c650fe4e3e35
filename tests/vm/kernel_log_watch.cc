#include "tests/vm/kernel_log_watch.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <regex>

namespace ghost::testing {
namespace {

// Lines of context kept after a report line (its stack, its cause).
constexpr int kContextLines = 8;

const std::regex& ReportPattern() {
  static const std::regex* pattern = new std::regex(
      "Kernel panic - not syncing|\\bBUG: |\\bWARNING: |\\bOops\\b|"
      "general protection fault|possible circular locking dependency|"
      "inconsistent lock state|possible recursive locking|"
      "suspicious RCU usage|lock held when returning to user space|"
      "KASAN: |detected stall|INFO: task .* blocked for more than|"
      "soft lockup|scheduling while atomic|Call Trace:",
      std::regex::optimize);
  return *pattern;
}

// One /dev/kmsg record is "prio,seq,usec,flags;message"; the message only.
absl::string_view MessageOf(absl::string_view record) {
  const size_t semi = record.find(';');
  if (semi != absl::string_view::npos) record.remove_prefix(semi + 1);
  const size_t newline = record.find('\n');
  return record.substr(0, newline);
}

}  // namespace

bool IsKernelReport(absl::string_view line) {
  return std::regex_search(line.begin(), line.end(), ReportPattern());
}

KernelLogWatch::KernelLogWatch() {
  fd_ = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd_ >= 0) lseek(fd_, 0, SEEK_END);
}

KernelLogWatch::~KernelLogWatch() {
  if (fd_ >= 0) close(fd_);
}

std::vector<std::string> KernelLogWatch::Reports() {
  std::vector<std::string> found;
  if (fd_ < 0) return found;
  int context = 0;
  std::array<char, 8192> record;
  for (;;) {
    const ssize_t n = read(fd_, record.data(), record.size());
    if (n < 0 && errno == EPIPE) continue;  // overwritten records: skip on
    if (n <= 0) break;                      // EAGAIN: nothing more
    const absl::string_view message =
        MessageOf(absl::string_view(record.data(), static_cast<size_t>(n)));
    if (IsKernelReport(message)) {
      found.emplace_back(message);
      context = kContextLines;
    } else if (context > 0) {
      found.emplace_back(message);
      --context;
    }
  }
  return found;
}

}  // namespace ghost::testing
