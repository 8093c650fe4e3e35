#include "experiments/microbench/message_driver.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "experiments/microbench/bench_clock.h"

namespace ghost::bench {

absl::Status MessageDriver(bool spinning, int rounds, const BenchLimits& limits,
                           Shared& s,
                           std::vector<std::unique_ptr<Worker>>& workers) {
  const pid_t tid = workers[0]->tid.load();
  for (int i = 0; i < rounds; ++i) {
    if (s.phase.load() == kFailed) return absl::AbortedError("agent failed");
    if (!spinning) {
      const uint64_t end = NowNs() + limits.wait_ns();
      while (s.blocking.load() == 0) {
        if (NowNs() > end || s.phase.load() == kFailed) {
          return absl::DeadlineExceededError(
              absl::StrCat("round ", i, ": the agent did not block within ",
                           limits.wait_limit_ms, " ms"));
        }
      }
      usleep(1000);  // it is asleep in ghost_run() by now
    }
    const int before = s.received.load();
    if (setpriority(PRIO_PROCESS, tid, 1 + i % 2) != 0) {
      return absl::InternalError(absl::StrCat(
          "setpriority of the ghost worker: ", std::strerror(errno)));
    }
    const uint64_t end = NowNs() + limits.wait_ns();
    while (s.received.load() == before) {
      if (NowNs() > end || s.phase.load() == kFailed) {
        return absl::DeadlineExceededError(absl::StrCat(
            "round ", i, ": the agent did not get the message within ",
            limits.wait_limit_ms, " ms"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace ghost::bench
