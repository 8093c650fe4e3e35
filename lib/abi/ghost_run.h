// The ghost_run() system call (docs/abi.md, "ghost_run") for set-up code:
// one typed helper per operation, each a thin adapter over the raw
// operation (lib/abi/raw_ops.h, which agents' hot paths call). Errors come
// back as a Status that names the operation and the errno, with a hint
// where the cause is usually the same.
#ifndef GHOST_LIB_ABI_GHOST_RUN_H_
#define GHOST_LIB_ABI_GHOST_RUN_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/abi/fd.h"
#include "lib/uapi/linux/ghost.h"

namespace ghost {

// Issues ghost_run(op, arg, size); returns its non-negative result or the
// errno as a Status that starts with `what`.
absl::StatusOr<long> GhostRun(unsigned int op, void* arg, unsigned int size,
                              absl::string_view what);

// The Status of operation `op` that failed with `err` (OK if 0): starts
// with `what`, and says what to do where the cause is usually the same.
absl::Status GhostRunStatus(unsigned int op, int err, absl::string_view what);

// The gtid of thread `tid` (0: the calling thread).
absl::StatusOr<uint64_t> GetGtid(pid_t tid = 0);

// Where the status word of `gtid` is in the enclave open at `enclave_fd`.
struct StatusWordLocation {
  uint32_t region;
  uint32_t index;
};
absl::StatusOr<StatusWordLocation> FindStatusWord(int enclave_fd,
                                                  uint64_t gtid);

// Whether the enclave open at `enclave_fd` is being or has been destroyed:
// an operation that names it fails with ENODEV from then on, even if a new
// enclave with the same id exists by now.
absl::StatusOr<bool> EnclaveDestroyed(int enclave_fd);

// Frees a status word whose thread died or departed.
absl::Status FreeStatusWord(int enclave_fd, StatusWordLocation where);

// Opens an enclave's directory, as the operations that name an enclave
// need.
absl::StatusOr<Fd> OpenEnclaveDir(const std::string& dir);

// The calling thread becomes the agent of `cpu` (pinned there); returns the
// index of its status word, whose barrier is the agent barrier.
absl::StatusOr<uint32_t> AttachAgent(int enclave_fd, int cpu);

// Commits the READY transactions of `cpus` (GHOST_COMMIT_F_* in `flags`);
// returns how many completed. With GHOST_COMMIT_F_BLOCK the agent then
// sleeps as BlockAgent() does.
absl::StatusOr<int> Commit(const int* cpus, uint32_t nr_cpus, uint32_t flags,
                           uint32_t agent_barrier = 0);

// Sleeps until an event for the calling agent's CPU. Returns
// FailedPrecondition at once if `agent_barrier` is stale (look again).
absl::Status BlockAgent(uint32_t agent_barrier);

// Wakes the agent of `cpu`.
absl::Status PingAgent(int cpu);

}  // namespace ghost

#endif  // GHOST_LIB_ABI_GHOST_RUN_H_
