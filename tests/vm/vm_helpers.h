// Small helpers shared by the VM tests.
#ifndef GHOST_TESTS_VM_VM_HELPERS_H_
#define GHOST_TESTS_VM_VM_HELPERS_H_

#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lib/abi/enclave.h"
#include "lib/uapi/linux/ghost.h"
#include "tests/vm/wait_for.h"

namespace ghost::testing {

inline absl::StatusCode ErrnoCode(int err) {
  return absl::ErrnoToStatusCode(err);
}

// Destroys every enclave left behind, so one failing test cannot break the
// next ones.
inline void DestroyAllEnclaves() {
  const std::string mount = GHOSTFS_MOUNT_POINT;
  absl::StatusOr<std::vector<unsigned int>> ids = ListEnclaveIds(mount);
  if (!ids.ok()) return;
  for (unsigned int id : *ids) {
    (void)WriteGhostfsFile(mount + "/ctl", absl::StrCat("destroy ", id));
  }
}

// Whether enclave_<id> exists, and waiting (up to `limit`) for it to go.
inline bool EnclaveExists(unsigned int id) {
  return access(absl::StrCat(GHOSTFS_MOUNT_POINT, "/enclave_", id).c_str(),
                F_OK) == 0;
}

inline bool EnclaveGoneWithin(unsigned int id, absl::Duration limit) {
  return WaitFor([id] { return !EnclaveExists(id); }, limit);
}

// The last line of /sys/fs/ghost/destroyed ("<id> <reason>"), or "".
inline std::string LastDestroyed() {
  return ::ghost::LastDestroyed(GHOSTFS_MOUNT_POINT);
}

// Runs the calling thread on `cpu` only; returns the previous mask.
inline cpu_set_t PinTo(int cpu) {
  cpu_set_t old, one;
  sched_getaffinity(0, sizeof(old), &old);
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  sched_setaffinity(0, sizeof(one), &one);
  return old;
}

// Takes a thread out of ghost (it runs again under CFS).
inline void MoveToCfs(pid_t pid) {
  struct sched_param param = {.sched_priority = 0};
  sched_setscheduler(pid, SCHED_OTHER, &param);
}

// Waits up to `limit` for `pid` to exit; returns true and its status if so.
inline bool ReapWithin(pid_t pid, absl::Duration limit, int* status) {
  return WaitFor([&] { return waitpid(pid, status, WNOHANG) == pid; }, limit);
}

// Runs `body` in a child process with uid/gid 65534; returns its exit code.
// The child is dumpable, as a user's own process is (setuid() cleared it),
// so that it may look at its own children in /proc (IsBlocked()).
inline int RunAsNobody(const std::function<int()>& body) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(100);
    if (prctl(PR_SET_DUMPABLE, 1) != 0) _exit(102);
    _exit(body());
  }
  int status;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 101;
}

}  // namespace ghost::testing

#endif  // GHOST_TESTS_VM_VM_HELPERS_H_
