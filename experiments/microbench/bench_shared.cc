#include "experiments/microbench/bench_shared.h"

#include <sys/mman.h>

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

absl::StatusOr<Shared*> MapShared() {
  void* mem = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    return absl::ResourceExhaustedError(
        absl::StrCat("mmap of the shared memory: ", std::strerror(errno)));
  }
  return new (mem) Shared();
}

void UnmapShared(Shared* shared) {
  shared->~Shared();
  munmap(shared, sizeof(Shared));
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
