// ghostctl move <id> <pid|tid>... [--thread].
#include <cerrno>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tools/ghostctl/commands.h"
#include "tools/ghostctl/enclave_tasks.h"
#include "tools/ghostctl/ghostfs_session.h"
#include "tools/ghostctl/proc_threads.h"
#include "tools/ghostctl/thread_mover.h"

namespace ghost::ctl {
namespace {

struct Tally {
  int moved = 0, already = 0, gone = 0, failed = 0;
};

void Report(const std::string& mount, const std::vector<ThreadMove>& moves,
            const std::string& what, Tally& tally) {
  for (const ThreadMove& m : moves) {
    std::string line = absl::StrCat(what, Describe(m));
    if (m.result == ThreadMove::Result::kFailed && m.err == EBUSY) {
      if (std::optional<unsigned int> other = EnclaveOfTid(mount, m.tid)) {
        absl::StrAppend(&line, " [it is in enclave ", *other, "]");
      }
    }
    switch (m.result) {
      case ThreadMove::Result::kMoved:
        ++tally.moved;
        break;
      case ThreadMove::Result::kAlready:
        ++tally.already;
        break;
      case ThreadMove::Result::kGone:
        ++tally.gone;
        break;
      case ThreadMove::Result::kFailed:
        ++tally.failed;
        break;
    }
    fprintf(m.result == ThreadMove::Result::kFailed ? stderr : stdout, "%s\n",
            line.c_str());
  }
}

}  // namespace

int RunMove(const Invocation& inv) {
  const std::vector<std::string>& pos = inv.args.positional;
  unsigned int id;
  if (!ParseEnclaveId(pos[0], &id)) {
    return UsageError("move",
                      absl::StrCat("\"", pos[0], "\" is not an enclave id"));
  }
  std::vector<pid_t> pids;
  for (size_t i = 1; i < pos.size(); ++i) {
    pid_t pid;
    if (!ParsePid(pos[i], &pid)) {
      return UsageError("move", absl::StrCat("\"", pos[i],
                                             "\" is not a pid or tid (a "
                                             "positive decimal number)"));
    }
    pids.push_back(pid);
  }
  if (absl::Status s = PrepareGhostfs(inv.ghostfs); !s.ok()) return Fail(s);
  absl::StatusOr<Enclave> e = OpenEnclave(inv.ghostfs, id);
  if (!e.ok()) return Fail(e.status());

  const bool one_thread = inv.args.Has("thread");
  ThreadMover mover([&](pid_t tid) { return AddTid(*e, tid); },
                    [](pid_t pid) { return ListThreads(kProcRoot, pid); });
  Tally tally;
  int missing = 0;
  for (pid_t pid : pids) {
    if (one_thread) {
      Report(inv.ghostfs, {mover.MoveThread(pid)}, "", tally);
      continue;
    }
    absl::StatusOr<std::vector<ThreadMove>> moves = mover.MoveProcess(pid);
    if (!moves.ok()) {
      fprintf(stderr, "process %d: FAILED: %s\n", pid,
              std::string(moves.status().message()).c_str());
      ++missing;
      continue;
    }
    Report(inv.ghostfs, *moves, absl::StrCat("process ", pid, ": "), tally);
  }
  if (tally.failed > 0 || missing > 0) {
    fprintf(stderr,
            "ghostctl move: %d thread(s) moved, %d already in enclave %u, "
            "%d failed, %d process(es) not found\n",
            tally.moved, tally.already, id, tally.failed, missing);
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace ghost::ctl
