#include "experiments/microbench/bench_shared.h"

#include <cerrno>
#include <cstring>
#include <new>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lib/abi/cpu_data_region.h"

namespace ghost::bench {

const char* WhereName(int where) {
  switch (where) {
    case kWaitingForGo:
      return "waiting for the bench to start it";
    case kWaitingForRunnable:
      return "waiting for a thread to be runnable";
    case kCommitting:
      return "in a commit";
    case kWaitingForRun:
      return "waiting for a latched thread to run";
    case kBlocked:
      return "blocked in ghost_run()";
    case kPolling:
      return "polling its queue";
    default:
      return "starting";
  }
}

std::string ResultCounts(const Shared& s) {
  std::string out;
  for (int i = 0; i < GHOST_TXN_NR_RESULTS; ++i) {
    if (uint64_t n = s.results[i].load()) {
      absl::StrAppend(&out, out.empty() ? "" : ", ",
                      TxnResultName(GHOST_TXN_COMPLETE + i), " ", n);
    }
  }
  if (uint64_t n = s.commit_errors.load()) {
    absl::StrAppend(&out, out.empty() ? "" : ", ", "failed calls ", n);
  }
  return out.empty() ? "none" : out;
}

}  // namespace ghost::bench
