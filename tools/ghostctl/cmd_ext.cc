// ghostctl ext status | ext move <pid|tid>... [--thread] | ext run CMD:
// the sched_ext backend (ghost agents on a stock kernel, lib/scx). There
// the agents schedule every thread whose policy is SCHED_EXT, so "moving
// a thread in" is sched_setscheduler(SCHED_EXT); there are no enclaves.
#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/scx/sched_ext_state.h"
#include "lib/util/json_writer.h"
#include "tools/ghostctl/commands.h"
#include "tools/ghostctl/ghostfs_session.h"
#include "tools/ghostctl/proc_threads.h"
#include "tools/ghostctl/thread_mover.h"

namespace ghost::ctl {
namespace {

constexpr int kSchedExt = 7;  // SCHED_EXT (include/uapi/linux/sched.h)

// What the ghost kernel offers and the sched_ext backend does not.
constexpr const char* kLimits[] = {
    "no enclaves: one scheduler for the machine, scheduling every "
    "SCHED_EXT thread on the agent's --cpus",
    "no sync-group commits (GHOST_COMMIT_F_SYNC_GROUP is EOPNOTSUPP)",
    "no in-place agent upgrade: a new agent attaches only after the old "
    "one stopped (its threads run in the fair class meanwhile)",
    "no agent class: agents are fair-class threads (nice -20) pinned to "
    "their CPU",
    "no ghostctl agent socket, no enclave stats files: counters are in "
    "the agent's output",
    "the watchdog is sched_ext's: 10 s runnable without running stops "
    "the scheduler, and every SCHED_EXT thread goes back to the fair class",
};

// The policy of thread `tid` (field 41 of /proc/<tid>/stat), or -1.
int PolicyOf(const std::string& stat_path) {
  std::ifstream in(stat_path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  const size_t paren = text.rfind(')');
  if (paren == std::string::npos) return -1;
  // Fields after the command start at field 3 (the state).
  std::vector<std::string> fields =
      absl::StrSplit(text.substr(paren + 2), ' ', absl::SkipEmpty());
  int policy;
  if (fields.size() < 39 || !absl::SimpleAtoi(fields[38], &policy)) return -1;
  return policy;
}

// The tids whose policy is SCHED_EXT.
std::vector<pid_t> SchedExtThreads() {
  std::vector<pid_t> tids;
  DIR* proc = opendir(kProcRoot);
  if (proc == nullptr) return tids;
  while (dirent* p = readdir(proc)) {
    pid_t pid;
    if (!absl::SimpleAtoi(p->d_name, &pid)) continue;
    absl::StatusOr<std::vector<pid_t>> threads = ListThreads(kProcRoot, pid);
    if (!threads.ok()) continue;
    for (pid_t tid : *threads) {
      if (PolicyOf(absl::StrCat(kProcRoot, "/", pid, "/task/", tid, "/stat")) ==
          kSchedExt) {
        tids.push_back(tid);
      }
    }
  }
  closedir(proc);
  return tids;
}

// Gives `tid` the SCHED_EXT policy: 0, EALREADY, or the errno.
int SetSchedExt(pid_t tid) {
  const int now = sched_getscheduler(tid);
  if (now < 0) return errno;
  if ((now & ~SCHED_RESET_ON_FORK) == kSchedExt) return EALREADY;
  struct sched_param param = {.sched_priority = 0};
  return sched_setscheduler(tid, kSchedExt, &param) == 0 ? 0 : errno;
}

}  // namespace

int RunExtStatus(const Invocation& inv) {
  const scx::SchedExtState s = scx::ReadSchedExtState();
  const std::vector<pid_t> tids = SchedExtThreads();
  const bool ours = s.ops == scx::kSchedulerName;
  if (inv.args.Has("json")) {
    JsonWriter w;
    w.BeginObject();
    w.Key("sched_ext").Bool(s.present);
    w.Key("state").String(s.state);
    w.Key("scheduler").String(s.ops);
    w.Key("enable_seq").Int(static_cast<int64_t>(s.enable_seq));
    w.Key("sched_ext_threads").Int(static_cast<int64_t>(tids.size()));
    w.EndObject();
    printf("%s\n", w.str().c_str());
    return s.present ? kExitOk : kExitFailed;
  }
  if (!s.present) {
    return Fail(scx::CheckLoadable(s));
  }
  printf("sched_ext: %s%s\n", s.state.c_str(),
         s.ops.empty() ? "" : absl::StrCat(", scheduler '", s.ops, "'").c_str());
  printf("schedulers loaded since boot: %llu\n",
         static_cast<unsigned long long>(s.enable_seq));
  printf("SCHED_EXT threads: %zu (%s)\n", tids.size(),
         ours ? "scheduled by the ghost agent"
              : s.state == "enabled"
                    ? "scheduled by another sched_ext scheduler"
                    : "no scheduler: they run in the fair class until a "
                      "ghost agent attaches (ghost_agent --backend=sched_ext)");
  printf("the sched_ext backend cannot do what the ghost kernel does:\n");
  for (const char* limit : kLimits) printf("  - %s\n", limit);
  return kExitOk;
}

int RunExtMove(const Invocation& inv) {
  std::vector<pid_t> pids;
  for (const std::string& text : inv.args.positional) {
    pid_t pid;
    if (!ParsePid(text, &pid)) {
      return UsageError("ext move", absl::StrCat("\"", text,
                                                 "\" is not a pid or tid"));
    }
    pids.push_back(pid);
  }
  ThreadMover mover(SetSchedExt,
                    [](pid_t pid) { return ListThreads(kProcRoot, pid); });
  bool failed = false;
  for (pid_t pid : pids) {
    std::vector<ThreadMove> moves;
    if (inv.args.Has("thread")) {
      moves.push_back(mover.MoveThread(pid));
    } else {
      absl::StatusOr<std::vector<ThreadMove>> all = mover.MoveProcess(pid);
      if (!all.ok()) {
        fprintf(stderr, "process %d: FAILED: %s\n", pid,
                std::string(all.status().message()).c_str());
        failed = true;
        continue;
      }
      moves = std::move(*all);
    }
    for (const ThreadMove& m : moves) {
      const bool bad = m.result == ThreadMove::Result::kFailed;
      failed |= bad;
      fprintf(bad ? stderr : stdout, "%s\n", Describe(m).c_str());
    }
  }
  const scx::SchedExtState s = scx::ReadSchedExtState();
  if (s.ops != scx::kSchedulerName) {
    printf("note: no ghost agent is attached (sched_ext %s): SCHED_EXT "
           "threads run in the fair class until one is\n",
           s.present ? s.state.c_str() : "absent");
  }
  return failed ? kExitFailed : kExitOk;
}

int RunExtRun(const Invocation& inv) {
  const std::vector<std::string>& cmd = inv.args.rest;
  if (cmd.empty()) return UsageError("ext run", "no command given");
  const pid_t child = fork();
  if (child < 0) return Fail(absl::ErrnoToStatus(errno, "fork"));
  if (child == 0) {
    // The command and everything it starts: SCHED_EXT threads.
    struct sched_param param = {.sched_priority = 0};
    if (sched_setscheduler(0, kSchedExt, &param) != 0) {
      fprintf(stderr, "ghostctl ext run: SCHED_EXT: %s\n", strerror(errno));
      _exit(127);
    }
    std::vector<char*> argv;
    for (const std::string& a : cmd) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    fprintf(stderr, "ghostctl ext run: %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

}  // namespace ghost::ctl
