// What the ABI fuzzer reads about the system it fuzzes: the live enclaves
// and their CPUs, whether a thread sleeps, the kernel threads.
#ifndef GHOST_TESTS_VM_FUZZ_SYSTEM_VIEW_H_
#define GHOST_TESTS_VM_FUZZ_SYSTEM_VIEW_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace ghost::fuzz {

// The directory of enclave `id` in ghostfs.
std::string EnclaveDir(unsigned int id);

// The ids of the live enclaves; none if ghostfs cannot be listed.
std::vector<unsigned int> LiveIds();

// The CPUs of a list like "1-2,3"; false if it is not one.
bool ParseCpuList(absl::string_view text, std::vector<int>* cpus);

// The CPUs enclave `id` owns (none if it is gone).
std::vector<int> EnclaveCpus(unsigned int id);

// Whether thread `tid` (of any process) sleeps: workers are moved into
// enclaves only then (a running thread keeps its CPU, K2).
bool Asleep(pid_t tid);

// Threads whose parent is kthreadd: kernel threads, which never enter.
std::vector<pid_t> KernelThreads();

// The sysfs file that takes `cpu` offline and back.
std::string CpuOnlinePath(int cpu);

}  // namespace ghost::fuzz

#endif  // GHOST_TESTS_VM_FUZZ_SYSTEM_VIEW_H_
