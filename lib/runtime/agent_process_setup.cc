#include "lib/runtime/agent_process_setup.h"

#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>

#include <cerrno>

#include "lib/util/errno_status.h"

namespace ghost {
namespace {

void Nudged(int) {}

}  // namespace

void SetThreadStackSize(size_t bytes) {
  pthread_attr_t attr;
  if (pthread_getattr_default_np(&attr) != 0) return;
  pthread_attr_setstacksize(&attr, bytes);
  pthread_setattr_default_np(&attr);
  pthread_attr_destroy(&attr);
}

absl::Status LockAgentMemory() {
  if (mlockall(MCL_CURRENT | MCL_FUTURE) == 0) return absl::OkStatus();
  return ErrnoStatus(errno, "mlockall",
                     " (the agent must not fault: raise RLIMIT_MEMLOCK or "
                     "run as root)");
}

__attribute__((noinline)) void PrefaultStack(size_t bytes) {
  volatile char buf[256 * 1024];
  for (size_t i = 0; i < bytes && i < sizeof(buf); i += 4096) buf[i] = 0;
}

void InstallNudgeSignal(int sig) {
  struct sigaction nudge = {};
  nudge.sa_handler = Nudged;  // no SA_RESTART: ghost_run() returns EINTR
  sigaction(sig, &nudge, nullptr);
}

}  // namespace ghost
