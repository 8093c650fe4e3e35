// Raw system calls for the ABI fuzzer: the result and errno of one call, as
// the ledger wants them.
#ifndef GHOST_TESTS_VM_FUZZ_SYSCALLS_H_
#define GHOST_TESTS_VM_FUZZ_SYSCALLS_H_

#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>

#include "lib/uapi/linux/ghost.h"

namespace ghost::fuzz {

inline pid_t Gettid() { return static_cast<pid_t>(syscall(SYS_gettid)); }

// The outcome of one system call.
struct Outcome {
  bool ok;
  int err;
  long ret;
};

inline Outcome Check(long r) { return {r >= 0, r >= 0 ? 0 : errno, r}; }

inline Outcome RawRun(unsigned int op, void* arg, unsigned int size) {
  return Check(syscall(__NR_ghost_run, op, arg, size));
}

}  // namespace ghost::fuzz

#endif  // GHOST_TESTS_VM_FUZZ_SYSCALLS_H_
