#include "tests/vm/fuzz/progress_watchdog.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "lib/enclave.h"
#include "tests/vm/fuzz/trace.h"

namespace ghost::fuzz {
namespace {

std::string ReadOr(const std::string& path, const char* fallback) {
  absl::StatusOr<std::string> text = ReadGhostfsFile(path);
  return text.ok() ? *text : fallback;
}

// Name, state, wait channel and kernel stack of every thread of this
// process: where a stuck one sleeps (the mmap lock, a ghostfs mutex...).
std::string ThreadStacks() {
  std::string out;
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return "# (no /proc/self/task)\n";
  while (struct dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    const std::string task = absl::StrCat("/proc/self/task/", e->d_name);
    std::string stat = ReadOr(task + "/stat", "?");
    const size_t paren = stat.rfind(')');
    const char state = paren + 2 < stat.size() ? stat[paren + 2] : '?';
    absl::StrAppend(&out, "# thread ", e->d_name, " (",
                    absl::StripSuffix(ReadOr(task + "/comm", "?"), "\n"),
                    ") state ", std::string(1, state), " wchan ",
                    ReadOr(task + "/wchan", "?"), "\n");
    for (absl::string_view line :
         absl::StrSplit(ReadOr(task + "/stack", ""), '\n', absl::SkipEmpty())) {
      absl::StrAppend(&out, "#     ", line, "\n");
    }
  }
  closedir(dir);
  return out;
}

}  // namespace

ProgressWatchdog::ProgressWatchdog(absl::Duration limit, absl::Duration grace,
                                   std::function<void()> on_stall)
    : limit_(limit), grace_(grace), on_stall_(std::move(on_stall)) {
  thread_ = std::thread([this] { Run(); });
}

ProgressWatchdog::~ProgressWatchdog() {
  stopping_.Notify();
  thread_.join();
}

bool ProgressWatchdog::ProgressWithin(uint64_t beats, absl::Duration limit) {
  const absl::Time end = absl::Now() + limit;
  while (absl::Now() < end) {
    if (stopping_.WaitForNotificationWithTimeout(absl::Seconds(1))) {
      return false;
    }
    if (beats_.load() != beats) return true;
  }
  return false;
}

void ProgressWatchdog::Run() {
  for (;;) {
    const uint64_t beats = beats_.load();
    if (ProgressWithin(beats, limit_)) continue;
    if (stopping_.HasBeenNotified()) return;
    fired_.store(true);
    Report(limit_);
    ADD_FAILURE() << "the fuzzer's main loop made no progress for "
                  << absl::FormatDuration(limit_)
                  << " (its last operations and the threads' kernel stacks "
                     "are printed above)";
    on_stall_();
    if (ProgressWithin(beats, grace_) || stopping_.HasBeenNotified()) return;
    Report(limit_ + grace_);
    printf("# ghost-fuzz: still stuck after %s more: ending the run\n",
           absl::FormatDuration(grace_).c_str());
    fflush(stdout);
    alarm(1);  // the runner's per-case timeout, now
    return;
  }
}

void ProgressWatchdog::Report(absl::Duration quiet) {
  const std::string text = absl::StrCat(
      "# ghost-fuzz: the main loop made no progress for ",
      absl::FormatDuration(quiet), "; the last operations:\n",
      RecentOperations(), "# and the threads of this process:\n",
      ThreadStacks());
  fputs(text.c_str(), stdout);
  fflush(stdout);
}

}  // namespace ghost::fuzz
