// StopRequest: why an agent program stops, from whichever source says so
// first: a signal (SIGINT/SIGTERM; SIGUSR1 from a successor taking over),
// `ghostctl agent stop` on the control socket, or an agent thread that
// found the enclave destroyed. The main thread waits on it.
//
//   StopRequest stop;
//   ForwardStopSignals(stop);   // first, before any other thread starts
//   ...
//   StopReason why = stop.Wait();
#ifndef GHOST_LIB_RUNTIME_STOP_REQUEST_H_
#define GHOST_LIB_RUNTIME_STOP_REQUEST_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace ghost {

enum class StopReason {
  kNone,       // not asked to stop (yet)
  kSignal,     // SIGINT or SIGTERM
  kHandOver,   // SIGUSR1: a successor takes over, the enclave stays
  kControl,    // ghostctl agent stop
  kDestroyed,  // the enclave was destroyed under the agents
};

const char* StopReasonName(StopReason r);

class StopRequest {
 public:
  // The first reason wins; later ones are ignored. Never blocks for long
  // (a mutex held for an assignment): agent threads may call it.
  void Request(StopReason reason);

  // The reason, once there is one; kNone after `limit` without any.
  StopReason WaitFor(absl::Duration limit);
  StopReason Wait() { return WaitFor(absl::InfiniteDuration()); }

  StopReason reason() const;

 private:
  mutable absl::Mutex mu_;
  StopReason reason_ ABSL_GUARDED_BY(mu_) = StopReason::kNone;
};

// Blocks SIGINT, SIGTERM and SIGUSR1 in the calling thread (and so in
// every thread it starts later) and starts a thread that turns them into
// requests on `stop`, which must outlive the process's main().
void ForwardStopSignals(StopRequest& stop);

}  // namespace ghost

#endif  // GHOST_LIB_RUNTIME_STOP_REQUEST_H_
