#include "experiments/microbench/thread_state.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "experiments/microbench/bench_clock.h"
#include "lib/abi/enclave.h"

namespace ghost::bench {

pid_t Gettid() { return static_cast<pid_t>(syscall(SYS_gettid)); }

char StatStateLetter(std::string_view stat) {
  const size_t paren = stat.rfind(") ");
  return paren == std::string_view::npos || paren + 2 >= stat.size()
             ? '?'
             : stat[paren + 2];
}

char ThreadState(pid_t tid) {
  absl::StatusOr<std::string> text =
      ReadGhostfsFile(absl::StrCat("/proc/self/task/", tid, "/stat"));
  if (!text.ok()) return '?';
  return StatStateLetter(*text);
}

absl::Status WaitAsleep(pid_t tid, const char* who, int limit_ms) {
  const uint64_t end = NowNs() + uint64_t(limit_ms) * 1000000;
  while (ThreadState(tid) != 'S') {
    if (NowNs() > end) {
      return absl::DeadlineExceededError(absl::StrCat(
          who, " (tid ", tid, ") did not fall asleep within ", limit_ms,
          " ms (state '", std::string(1, ThreadState(tid)), "')"));
    }
    usleep(50);
  }
  return absl::OkStatus();
}

}  // namespace ghost::bench
