#include "lib/runtime/stop_request.h"

#include <pthread.h>
#include <signal.h>

#include <thread>

namespace ghost {

const char* StopReasonName(StopReason r) {
  switch (r) {
    case StopReason::kNone:
      return "none";
    case StopReason::kSignal:
      return "signal";
    case StopReason::kHandOver:
      return "hand-over";
    case StopReason::kControl:
      return "ghostctl agent stop";
    case StopReason::kDestroyed:
      return "enclave destroyed";
  }
  return "?";
}

void StopRequest::Request(StopReason reason) {
  absl::MutexLock lock(&mu_);
  if (reason_ == StopReason::kNone) reason_ = reason;
}

StopReason StopRequest::WaitFor(absl::Duration limit) {
  absl::MutexLock lock(&mu_);
  auto asked = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return reason_ != StopReason::kNone;
  };
  mu_.AwaitWithTimeout(absl::Condition(&asked), limit);
  return reason_;
}

StopReason StopRequest::reason() const {
  absl::MutexLock lock(&mu_);
  return reason_;
}

void ForwardStopSignals(StopRequest& stop) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set, &stop] {
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      stop.Request(sig == SIGUSR1 ? StopReason::kHandOver
                                  : StopReason::kSignal);
    }
  }).detach();
}

}  // namespace ghost
