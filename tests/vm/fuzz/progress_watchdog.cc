#include "tests/vm/fuzz/progress_watchdog.h"

#include <dirent.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <new>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "lib/abi/enclave.h"
#include "tests/vm/fuzz/trace.h"
#include "tests/vm/vm_helpers.h"

namespace ghost::fuzz {

struct ProgressWatchdog::Shared {
  std::atomic<uint64_t> beats{0};
  std::atomic<bool> fired{false};
  std::atomic<bool> stopping{false};
};

namespace {

std::string ReadOr(const std::string& path, const char* fallback) {
  absl::StatusOr<std::string> text = ReadGhostfsFile(path);
  return text.ok() ? *text : fallback;
}

// Name, state, wait channel and kernel stack of every thread of `pid`:
// where a stuck one sleeps (the mmap lock, a ghostfs mutex...) or that it
// is runnable and does not run.
std::string ThreadStacks(pid_t pid) {
  const std::string tasks = absl::StrCat("/proc/", pid, "/task");
  DIR* dir = opendir(tasks.c_str());
  if (dir == nullptr) return absl::StrCat("# (no ", tasks, ")\n");
  std::string out;
  while (struct dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    const std::string task = absl::StrCat(tasks, "/", e->d_name);
    const std::string stat = ReadOr(task + "/stat", "?");
    const size_t paren = stat.rfind(')');
    const char state =
        paren != std::string::npos && paren + 2 < stat.size() ? stat[paren + 2]
                                                              : '?';
    absl::StrAppend(&out, "# thread ", e->d_name, " (",
                    absl::StripSuffix(ReadOr(task + "/comm", "?"), "\n"),
                    ") state ", std::string(1, state), " wchan ",
                    ReadOr(task + "/wchan", "?"), "\n");
    for (absl::string_view line : absl::StrSplit(
             ReadOr(task + "/stack", ""), '\n', absl::SkipEmpty())) {
      absl::StrAppend(&out, "#     ", line, "\n");
    }
  }
  closedir(dir);
  return out;
}

void Report(pid_t fuzzer, absl::Duration quiet) {
  const std::string text = absl::StrCat(
      "# ghost-fuzz: the main loop made no progress for ",
      absl::FormatDuration(quiet), "; the last operations:\n",
      RecentOperations(), "# and the threads of the fuzzer:\n",
      ThreadStacks(fuzzer));
  fputs(text.c_str(), stdout);
  fflush(stdout);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ProgressWatchdog>> ProgressWatchdog::Start(
    absl::Duration limit, absl::Duration grace) {
  void* mem = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return absl::ResourceExhaustedError("mmap");
  std::unique_ptr<ProgressWatchdog> w(
      new ProgressWatchdog(new (mem) Shared()));
  const pid_t fuzzer = getpid();
  fflush(stdout);
  fflush(stderr);
  w->pid_ = fork();
  if (w->pid_ < 0) return absl::ResourceExhaustedError("fork");
  if (w->pid_ == 0) Watch(w->shared_, fuzzer, limit, grace);  // no return
  return w;
}

// In the watcher: never returns into the test runner it was forked from.
void ProgressWatchdog::Watch(Shared* shared, pid_t fuzzer,
                             absl::Duration limit, absl::Duration grace) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  uint64_t beats = shared->beats.load();
  absl::Time moved = absl::Now();
  while (!shared->stopping.load()) {
    absl::SleepFor(absl::Seconds(1));
    if (shared->beats.load() != beats) {
      beats = shared->beats.load();
      moved = absl::Now();
      continue;
    }
    const absl::Duration quiet = absl::Now() - moved;
    if (!shared->fired.load() && quiet >= limit) {
      shared->fired.store(true);
      Report(fuzzer, quiet);
    } else if (shared->fired.load() && quiet >= limit + grace) {
      Report(fuzzer, quiet);
      printf("# ghost-fuzz: still stuck: ending the run (SIGALRM)\n");
      fflush(stdout);
      kill(fuzzer, SIGALRM);
      absl::SleepFor(absl::Seconds(10));
      if (kill(fuzzer, 0) == 0) kill(fuzzer, SIGKILL);
      break;
    }
  }
  _exit(0);
}

ProgressWatchdog::~ProgressWatchdog() {
  if (pid_ > 0) {
    shared_->stopping.store(true);
    int status;
    if (!testing::ReapWithin(pid_, absl::Seconds(5), &status)) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);  // it is no ghost thread: it dies
    }
  }
  shared_->~Shared();
  munmap(shared_, sizeof(Shared));
}

void ProgressWatchdog::Beat() {
  shared_->beats.fetch_add(1, std::memory_order_relaxed);
}

bool ProgressWatchdog::fired() const { return shared_->fired.load(); }

}  // namespace ghost::fuzz
