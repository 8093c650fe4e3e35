// The ids, CPUs and sizes the ABI fuzzer works with in the lab VM.
#ifndef GHOST_TESTS_VM_FUZZ_LAYOUT_H_
#define GHOST_TESTS_VM_FUZZ_LAYOUT_H_

#include <cstddef>
#include <string>

#include "lib/abi/ghostfs_mount.h"
#include "lib/uapi/linux/ghost.h"

namespace ghost::fuzz {

inline const std::string kMount = GHOSTFS_MOUNT_POINT;
// Enclave ids the churn thread and the agent work with; the main thread
// also tries odd ones. kHomeId is where the rogue agent usually goes.
inline constexpr unsigned int kPoolBase = 4100;
inline constexpr int kPoolSize = 5;
inline constexpr unsigned int kHomeId = kPoolBase;
inline constexpr int kWorkers = 4;
// The lab VM has CPUs 0-3. Enclaves only ever get CPUs 1-3.
inline constexpr int kNrCpus = 4;
inline constexpr int kLastCpu = 3;
inline constexpr size_t kPage = 4096;
inline constexpr size_t kTxnBytes = kPage;  // PAGE_ALIGN(4 CPUs * 64 bytes)
inline constexpr size_t kSwBytes = GHOST_SW_REGION_WORDS * sizeof(ghost_status_word);
// A descriptor number nothing in this process opens: a "closed fd".
inline constexpr int kClosedFd = 1000;

}  // namespace ghost::fuzz

#endif  // GHOST_TESTS_VM_FUZZ_LAYOUT_H_
