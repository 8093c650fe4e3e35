// RunInEnclave: runs a workload in a child process that first moves
// itself into an enclave, so that everything it starts (threads, exec'd
// programs and their children) is born in the enclave. A thread that
// enters running keeps its CPU until it blocks (K2); from then on only the
// agent runs it.
//
//   int code = RunInEnclave(enclave, absl::Seconds(30), [] { ...; return 0; });
//
// If the child does not finish in time, its threads are moved back to CFS
// and it is killed; the result is then -1.
#ifndef GHOST_TESTS_VM_ENCLAVE_CHILD_H_
#define GHOST_TESTS_VM_ENCLAVE_CHILD_H_

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lib/abi/enclave.h"
#include "tests/vm/vm_helpers.h"

namespace ghost::testing {

// Every thread of process `pid` back to CFS.
inline void ProcessToCfs(pid_t pid) {
  const std::string dir = absl::StrCat("/proc/", pid, "/task");
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  while (struct dirent* e = readdir(d)) {
    pid_t tid;
    if (absl::SimpleAtoi(e->d_name, &tid)) MoveToCfs(tid);
  }
  closedir(d);
}

// Starts `body` in a child inside `enclave`; returns the child's pid.
inline pid_t StartInEnclave(Enclave enclave, const std::function<int()>& body) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (!enclave.AddTask(getpid()).ok()) _exit(120);
    _exit(body());
  }
  return pid;
}

// Waits for a child of StartInEnclave; -1 (and the child killed) after
// `limit`.
inline int FinishInEnclave(pid_t pid, absl::Duration limit) {
  int status;
  if (ReapWithin(pid, limit, &status)) {
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  ProcessToCfs(pid);
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

inline int RunInEnclave(Enclave enclave, absl::Duration limit,
                        const std::function<int()>& body) {
  return FinishInEnclave(StartInEnclave(enclave, body), limit);
}

}  // namespace ghost::testing

#endif  // GHOST_TESTS_VM_ENCLAVE_CHILD_H_
