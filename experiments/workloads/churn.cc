#include "experiments/workloads/churn.h"

#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace ghost::workloads {

namespace {

absl::Status Errno(const char* what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// Waits for `pid` and checks that it exited with status 0.
absl::Status Reap(pid_t pid) {
  int status;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Errno("waitpid");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(
        absl::StrCat("child ", pid, " ended with status ", status));
  }
  return absl::OkStatus();
}

void* ReturnAtOnce(void*) { return nullptr; }

}  // namespace

absl::Status ForkChurn(int64_t ops, std::atomic<int64_t>& done) {
  for (int64_t i = 0; i < ops; ++i) {
    const pid_t pid = fork();
    if (pid < 0) return Errno("fork");
    if (pid == 0) _exit(0);
    if (absl::Status s = Reap(pid); !s.ok()) return s;
    done.fetch_add(1, std::memory_order_relaxed);
  }
  return absl::OkStatus();
}

absl::Status ExecChurn(int64_t ops, std::atomic<int64_t>& done) {
  // Exec ourselves (static, no loader): the cost is the exec, not a
  // program's start-up.
  char self[] = "/proc/self/exe";
  char arg[sizeof(kExitAtOnce)];
  std::memcpy(arg, kExitAtOnce, sizeof(arg));
  char* argv[] = {self, arg, nullptr};
  char* envp[] = {nullptr};
  for (int64_t i = 0; i < ops; ++i) {
    const pid_t pid = fork();
    if (pid < 0) return Errno("fork");
    if (pid == 0) {
      execve(self, argv, envp);
      _exit(127);
    }
    if (absl::Status s = Reap(pid); !s.ok()) return s;
    done.fetch_add(1, std::memory_order_relaxed);
  }
  return absl::OkStatus();
}

absl::Status ThreadChurn(int64_t ops, std::atomic<int64_t>& done) {
  for (int64_t i = 0; i < ops; ++i) {
    pthread_t t;
    if (const int err = pthread_create(&t, nullptr, ReturnAtOnce, nullptr)) {
      errno = err;
      return Errno("pthread_create");
    }
    if (const int err = pthread_join(t, nullptr)) {
      errno = err;
      return Errno("pthread_join");
    }
    done.fetch_add(1, std::memory_order_relaxed);
  }
  return absl::OkStatus();
}

}  // namespace ghost::workloads
