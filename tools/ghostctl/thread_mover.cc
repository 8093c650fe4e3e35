#include "tools/ghostctl/thread_mover.h"

#include <cerrno>
#include <cstring>
#include <set>

#include "absl/strings/str_cat.h"

namespace ghost::ctl {

ThreadMove ThreadMover::Move(pid_t tid, bool gone_is_ok) {
  ThreadMove m;
  m.tid = tid;
  m.err = add_tid_(tid);
  if (m.err == 0) {
    m.result = ThreadMove::Result::kMoved;
  } else if (m.err == EALREADY) {
    m.result = ThreadMove::Result::kAlready;
  } else if (m.err == ESRCH && gone_is_ok) {
    m.result = ThreadMove::Result::kGone;
  } else {
    m.result = ThreadMove::Result::kFailed;
  }
  return m;
}

ThreadMove ThreadMover::MoveThread(pid_t tid) {
  return Move(tid, /*gone_is_ok=*/false);
}

absl::StatusOr<std::vector<ThreadMove>> ThreadMover::MoveProcess(pid_t pid) {
  std::vector<ThreadMove> moves;
  std::set<pid_t> tried;
  // Bounded: a process that keeps spawning threads faster than we move
  // them is reported as it was after these rounds.
  for (int round = 0; round < 16; ++round) {
    absl::StatusOr<std::vector<pid_t>> tids = list_threads_(pid);
    if (!tids.ok()) {
      if (round == 0) return tids.status();
      break;  // it exited meanwhile: the moves so far stand
    }
    bool found_new = false;
    for (pid_t tid : *tids) {
      if (!tried.insert(tid).second) continue;
      found_new = true;
      moves.push_back(Move(tid, /*gone_is_ok=*/true));
    }
    if (!found_new) break;
  }
  return moves;
}

bool AnyFailed(const std::vector<ThreadMove>& moves) {
  for (const ThreadMove& m : moves) {
    if (m.result == ThreadMove::Result::kFailed) return true;
  }
  return false;
}

std::string MoveErrorHint(int err) {
  switch (err) {
    case ESRCH:
      return "no such thread (it exited, or the id is wrong)";
    case EPERM:
      return "moving a thread needs root, CAP_SYS_NICE, or the same owner "
             "as the thread; kernel threads and io_uring/vhost workers "
             "cannot be moved";
    case EACCES:
      return "the enclave's tasks file is root's: run as root, or have the "
             "enclave's owner delegate it (chown USER "
             "/sys/fs/ghost/enclave_N/tasks)";
    case EBUSY:
      return "it is in another enclave; take it out of that one first";
    case ENODEV:
      return "the enclave is being destroyed";
    case ENOSPC:
      return "the enclave is full (16384 threads)";
    case ENOENT:
      return "the enclave does not exist (ghostctl enclave list)";
    default:
      return "see docs/abi.md, \"Threads in ghost\"";
  }
}

std::string Describe(const ThreadMove& m) {
  switch (m.result) {
    case ThreadMove::Result::kMoved:
      return absl::StrCat("tid ", m.tid, ": moved");
    case ThreadMove::Result::kAlready:
      return absl::StrCat("tid ", m.tid, ": already in the enclave");
    case ThreadMove::Result::kGone:
      return absl::StrCat("tid ", m.tid, ": exited before it was moved");
    case ThreadMove::Result::kFailed:
      break;
  }
  return absl::StrCat("tid ", m.tid, ": FAILED: ", std::strerror(m.err), " (",
                      MoveErrorHint(m.err), ")");
}

}  // namespace ghost::ctl
