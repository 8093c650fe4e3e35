// ghostctl run --enclave <id> [--qos <class>] [--] <command> [args...]
//
// The child is moved in while it is blocked (a running thread would keep
// its CPU, kernel rule K2): it waits on a pipe until the parent has moved it,
// then execs. Its children are born in the enclave, so the whole command
// tree is in.
//
// With --qos, ghostctl makes a one-item hint region (lib/hints), hands it
// to the enclave's agent before anything starts (an agent that reads no
// hints refuses it, and nothing runs), and the child claims the item for
// its own thread before it waits: the command's first thread, which the
// exec keeps, has that class from its first message. The region lives in
// ghostctl, which waits for the command; threads the command starts later
// have no hint (the policy's default class).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lib/abi/fd.h"
#include "lib/hints/hint_registration.h"
#include "lib/hints/hint_writer.h"
#include "tools/ghostctl/commands.h"
#include "tools/ghostctl/enclave_snapshot.h"
#include "tools/ghostctl/enclave_tasks.h"
#include "tools/ghostctl/ghostfs_session.h"
#include "tools/ghostctl/proc_threads.h"
#include "tools/ghostctl/thread_mover.h"

namespace ghost::ctl {
namespace {

volatile sig_atomic_t child_pid = 0;

void ForwardSignal(int sig) {
  if (child_pid > 0) kill(child_pid, sig);
}

void ForwardSignals() {
  struct sigaction sa = {};
  sa.sa_handler = ForwardSignal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) {
    sigaction(sig, &sa, nullptr);
  }
}

// In the child: claims its hint (if any), waits for the parent's
// go-ahead, then execs. Never returns.
[[noreturn]] void Child(const int go[2], const int err[2],
                        const std::vector<std::string>& cmd, HintWriter* hints,
                        int qos) {
  close(go[1]);  // else the parent's close would not end our read
  close(err[0]);
  if (hints != nullptr) {
    // The region is shared memory: the parent's mapping (and the agent's)
    // see the claim. Only this process writes it.
    absl::StatusOr<uint32_t> item =
        hints->ClaimForCaller(static_cast<uint32_t>(qos));
    if (!item.ok()) {
      fprintf(stderr, "ghostctl run: cannot claim the command's hint: %s\n",
              std::string(item.status().message()).c_str());
      _exit(127);
    }
  }
  char c = 0;
  ssize_t n;
  do {
    n = read(go[0], &c, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1 || c != 'g') _exit(127);  // the parent gave up
  std::vector<char*> argv;
  for (const std::string& a : cmd) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  const int e = errno;
  (void)!write(err[1], &e, sizeof(e));
  _exit(127);
}

// Waits until `pid` sleeps (in the read of its go pipe: it blocks nowhere
// else before it).
absl::Status WaitUntilAsleep(pid_t pid) {
  const absl::Time end = absl::Now() + absl::Seconds(10);
  while (absl::Now() < end) {
    absl::StatusOr<char> state = ReadProcessState(kProcRoot, pid);
    if (!state.ok()) return state.status();
    if (*state == 'S') return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(1));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("the child ", pid,
                   " did not block within 10 s; not moving it (a "
                   "running thread would keep its CPU)"));
}

int ExitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return kExitFailed;
}

int Reap(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return kExitFailed;
  }
  return ExitCodeOf(status);
}

void WarnIfNoAgent(const Enclave& e) {
  absl::StatusOr<EnclaveSnapshot> s = TakeSnapshot(e);
  if (s.ok() && s->agents.has_value() && *s->agents == 0) {
    fprintf(stderr,
            "ghostctl run: warning: enclave %u has no agent; the command "
            "will not run until one attaches (see docs/guide.md)\n",
            e.id());
  }
}

// Forks the child, moves it in while it waits, lets it exec, waits for it.
int Launch(const Enclave& e, const std::vector<std::string>& cmd,
           HintWriter* hints, int qos) {
  int go[2], err[2];
  if (pipe2(go, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    return Fail(absl::InternalError(absl::StrCat("pipe: ", strerror(errno))));
  }
  const pid_t pid = fork();
  if (pid < 0) {
    return Fail(absl::InternalError(absl::StrCat("fork: ", strerror(errno))));
  }
  if (pid == 0) Child(go, err, cmd, hints, qos);
  close(go[0]);
  close(err[1]);
  Fd go_w(go[1]), err_r(err[0]);
  child_pid = pid;
  absl::Status asleep = WaitUntilAsleep(pid);
  const int moved = asleep.ok() ? AddTid(e, pid) : 0;
  if (!asleep.ok() || moved != 0) {
    go_w.Reset();  // the child reads EOF and exits
    Reap(pid);
    if (!asleep.ok()) return Fail(asleep);
    ThreadMove m{pid, ThreadMove::Result::kFailed, moved};
    return Fail(absl::FailedPreconditionError(
        absl::StrCat("could not move the command into enclave ", e.id(), ": ",
                     Describe(m), "; it was not started")));
  }
  ForwardSignals();
  (void)!write(go_w.get(), "g", 1);
  go_w.Reset();
  int exec_errno = 0;
  ssize_t n;
  do {
    n = read(err_r.get(), &exec_errno, sizeof(exec_errno));
  } while (n < 0 && errno == EINTR);
  const int rc = Reap(pid);
  if (n == sizeof(exec_errno)) {
    fprintf(stderr, "ghostctl run: cannot run %s: %s\n", cmd[0].c_str(),
            strerror(exec_errno));
    return 127;
  }
  return rc;
}

}  // namespace

int RunRun(const Invocation& inv) {
  const std::optional<std::string> id_text = inv.args.Get("enclave");
  if (!id_text.has_value()) return UsageError("run", "--enclave is required");
  unsigned int id;
  if (!ParseEnclaveId(*id_text, &id)) {
    return UsageError("run",
                      absl::StrCat("\"", *id_text, "\" is not an enclave id"));
  }
  int qos = -1;
  if (std::optional<std::string> q = inv.args.Get("qos"); q.has_value()) {
    if (!absl::SimpleAtoi(*q, &qos) || qos < 0 ||
        qos >= GHOST_HINT_QOS_LEVELS) {
      return UsageError(
          "run", absl::StrCat("--qos must be a class from 0 (served first) "
                              "to ", GHOST_HINT_QOS_LEVELS - 1, ", not \"",
                              *q, "\""));
    }
  }
  if (inv.args.rest.empty()) return UsageError("run", "no command given");
  if (absl::Status s = PrepareGhostfs(inv.ghostfs); !s.ok()) return Fail(s);
  absl::StatusOr<Enclave> e = OpenEnclave(inv.ghostfs, id);
  if (!e.ok()) return Fail(e.status());
  WarnIfNoAgent(*e);
  std::unique_ptr<HintWriter> hints;
  if (qos >= 0) {
    absl::StatusOr<std::unique_ptr<HintWriter>> w = HintWriter::Create(1);
    if (!w.ok()) return Fail(w.status());
    hints = std::move(*w);
    const std::string dir =
        inv.args.Get("socket_dir").value_or(std::string(kControlDir));
    if (absl::Status s = RegisterHints(*hints, id, dir); !s.ok()) {
      return Fail(absl::FailedPreconditionError(absl::StrCat(
          "--qos needs the agent of enclave ", id, " to take a hint region: ",
          s.message(), "; the command was not started")));
    }
  }
  return Launch(*e, inv.args.rest, hints.get(), qos);
}

}  // namespace ghost::ctl
