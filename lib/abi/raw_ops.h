// The ghost_run() operations an agent calls on its hot path, raw: each
// returns 0 or the errno (Commit: how many transactions completed, or a
// negative errno), builds no Status, allocates nothing, logs nothing.
// lib/abi/ghost_run.h adapts them to absl::Status for set-up code; the
// agent framework (GhostKernel) calls them directly.
//
//   if (int err = raw::BlockAgent(barrier); err == ESTALE) ...
#ifndef GHOST_LIB_ABI_RAW_OPS_H_
#define GHOST_LIB_ABI_RAW_OPS_H_

#include <cstdint>

namespace ghost::raw {

// ghost_run(op, arg, size): its non-negative result, or a negative errno.
long GhostRun(unsigned int op, void* arg, unsigned int size);

// GHOST_OP_COMMIT of the READY slots of `cpus` (GHOST_COMMIT_F_* flags).
int Commit(const int* cpus, uint32_t nr_cpus, uint32_t flags,
           uint32_t agent_barrier);

// GHOST_OP_AGENT_BLOCK: 0 after a wakeup; ESTALE if `agent_barrier` is
// old, EINTR, EINVAL if the caller is not an agent, ...
int BlockAgent(uint32_t agent_barrier);

// GHOST_OP_AGENT_PING of the agent of `cpu`.
int PingAgent(int cpu);

// GHOST_OP_SW_FREE of word `index` of region `region` of the enclave
// open at `enclave_fd`.
int FreeStatusWord(int enclave_fd, uint32_t region, uint32_t index);

// GHOST_OP_ASSOC_QUEUE: thread `gtid` sends to the queue `queue_fd` from
// now on, if `barrier` is its latest sequence number (else ESTALE).
int AssociateQueue(int queue_fd, uint64_t gtid, uint32_t barrier);

// GHOST_OP_ASSOC_CPU_QUEUE: the CPU messages of `cpu` go to the queue
// `queue_fd` from now on.
int AssociateCpuQueue(int queue_fd, int cpu);

}  // namespace ghost::raw

#endif  // GHOST_LIB_ABI_RAW_OPS_H_
