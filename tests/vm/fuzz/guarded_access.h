// GuardedAccess: a load or store into a kernfs mapping that reports a
// SIGBUS instead of dying of it, so that a mapping the kernel pulls away
// (docs/abi.md says they stay valid after their enclave is destroyed) is a
// finding of the ABI fuzzer, not a crash of the test.
#ifndef GHOST_TESTS_VM_FUZZ_GUARDED_ACCESS_H_
#define GHOST_TESTS_VM_FUZZ_GUARDED_ACCESS_H_

#include <setjmp.h>
#include <signal.h>

namespace ghost::fuzz {

// Memory of a kernfs mapping (cpu_data, sw_0) must stay valid when another
// fuzzing thread destroys its enclave; if the kernel pulls it away anyway,
// the access faults with SIGBUS. GuardedAccess runs a plain load or store
// and reports whether it faulted.
// Only trivially destructible work may run inside: a fault jumps out.
namespace fuzz_internal {
inline thread_local sigjmp_buf* guard = nullptr;

inline void OnSigbus(int sig) {
  if (guard != nullptr) siglongjmp(*guard, 1);
  signal(sig, SIG_DFL);
  raise(sig);
}
}  // namespace fuzz_internal

inline void InstallSigbusGuard() {
  struct sigaction sa = {};
  sa.sa_handler = fuzz_internal::OnSigbus;
  sa.sa_flags = SA_NODEFER;
  sigaction(SIGBUS, &sa, nullptr);
}

// Returns false if `fn` faulted (the mapping is gone).
template <typename Fn>
bool GuardedAccess(Fn fn) {
  sigjmp_buf jb;
  if (sigsetjmp(jb, 1) != 0) {
    fuzz_internal::guard = nullptr;
    return false;
  }
  fuzz_internal::guard = &jb;
  fn();
  fuzz_internal::guard = nullptr;
  return true;
}

}  // namespace ghost::fuzz

#endif  // GHOST_TESTS_VM_FUZZ_GUARDED_ACCESS_H_
