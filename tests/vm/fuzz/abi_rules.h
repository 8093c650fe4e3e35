// What docs/abi.md allows each operation of the ABI fuzzer to return: the
// errnos of every ghost_run() op and of every ghostfs file.
#ifndef GHOST_TESTS_VM_FUZZ_ABI_RULES_H_
#define GHOST_TESTS_VM_FUZZ_ABI_RULES_H_

#include <cerrno>
#include <cstdint>
#include <initializer_list>
#include <set>

namespace ghost::fuzz {

// `a` with `b` added.
std::set<int> Plus(std::set<int> a, std::initializer_list<int> b);

// "Errors common to all" of ghost_run(); E2BIG for a larger structure with
// non-zero extra bytes.
const std::set<int>& RunCommon();

// The errnos ghost_run(`op`) may return; `commit_flags` are those of a
// GHOST_OP_COMMIT.
std::set<int> RunErrnos(unsigned int op, uint32_t commit_flags = 0);

// A short name of a ghost_run() op, for the ledger's kinds.
const char* OpName(unsigned int op);

// ghostfs files. Writes to an enclave's file may find the enclave gone:
// open says ENOENT, a write after removal ENODEV.
inline const std::set<int> kTopCtlErrnos = {EINVAL, EEXIST, ENOENT, ENODEV};
inline const std::set<int> kEnclaveCtlErrnos = {EINVAL, ENODEV};
inline const std::set<int> kCpulistErrnos = {EINVAL, ENODEV};
inline const std::set<int> kTasksErrnos = {ESRCH,  EINVAL, EALREADY, EBUSY,
                                           EPERM,  ENODEV, ENOSPC};
inline const std::set<int> kTicksErrnos = {EINVAL, ENODEV};
inline const std::set<int> kTimeoutErrnos = {EINVAL, EPERM, ENODEV};
// mmap(2) of ghost files: the ABI's EINVAL/EPERM, plus the mm layer's.
inline const std::set<int> kMmapErrnos = {EINVAL, EPERM,     EACCES, ENODEV,
                                          ENOMEM, EOVERFLOW};

}  // namespace ghost::fuzz

#endif  // GHOST_TESTS_VM_FUZZ_ABI_RULES_H_
