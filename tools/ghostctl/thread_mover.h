// Moving threads into an enclave, one tid at a time, with a verdict per
// thread. The kernel calls are injected so that the logic (which tids, what
// counts as a failure, re-listing a process that grows) is host-tested.
//
//   ThreadMover mover(add_tid, list_threads_of);
//   std::vector<ThreadMove> moves = mover.MoveProcess(pid);
//   for (const ThreadMove& m : moves) puts(Describe(m, 7).c_str());
#ifndef GHOST_TOOLS_GHOSTCTL_THREAD_MOVER_H_
#define GHOST_TOOLS_GHOSTCTL_THREAD_MOVER_H_

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ghost::ctl {

struct ThreadMove {
  enum class Result {
    kMoved,    // it entered the enclave
    kAlready,  // it was in the enclave already (EALREADY)
    kGone,     // it exited while its process was being moved (ESRCH)
    kFailed,   // see `err`
  };
  pid_t tid = 0;
  Result result = Result::kFailed;
  int err = 0;  // the errno of the tasks write, for kFailed
};

class ThreadMover {
 public:
  // `add_tid` writes a tid to the enclave's tasks file and returns 0 or the
  // errno; `list_threads` lists the tids of a process.
  using AddTid = std::function<int(pid_t)>;
  using ListThreads = std::function<absl::StatusOr<std::vector<pid_t>>(pid_t)>;
  ThreadMover(AddTid add_tid, ListThreads list_threads)
      : add_tid_(std::move(add_tid)), list_threads_(std::move(list_threads)) {}

  // Just `tid`; a missing thread is kFailed (ESRCH).
  ThreadMove MoveThread(pid_t tid);

  // Every thread of the process `pid` belongs to. Lists again after each
  // round until no new thread appears: a thread that has not moved yet may
  // start new ones (those of a moved thread are born in the enclave).
  // NotFound if the process does not exist.
  absl::StatusOr<std::vector<ThreadMove>> MoveProcess(pid_t pid);

 private:
  ThreadMove Move(pid_t tid, bool gone_is_ok);

  AddTid add_tid_;
  ListThreads list_threads_;
};

// True if any move failed.
bool AnyFailed(const std::vector<ThreadMove>& moves);

// "tid 42: moved", "tid 43: failed: Operation not permitted (...)".
std::string Describe(const ThreadMove& move);

// What to do about a failed tasks write with errno `err`.
std::string MoveErrorHint(int err);

}  // namespace ghost::ctl

#endif  // GHOST_TOOLS_GHOSTCTL_THREAD_MOVER_H_
