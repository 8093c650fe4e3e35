// KernelInterface: everything a scheduling policy may ask of the ghost
// kernel, as one interface. Policies (schedulers/) hold a KernelInterface&
// and nothing else of the kernel, so the same policy runs against the real
// kernel (GhostKernel, lib/agent/ghost_kernel.h) and, in host unit tests and
// benchmarks, against an in-process fake (tests/host/fakes/fake_kernel.h).
//
// Set-up calls return a Status. Hot-path calls (commit, block, ping,
// associate) return the errno as an int (0 or a positive errno; Commit a
// count or a negative errno), because building a Status message
// allocates, and an agent's loop must not.
#ifndef GHOST_LIB_AGENT_KERNEL_INTERFACE_H_
#define GHOST_LIB_AGENT_KERNEL_INTERFACE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "lib/abi/status_word_region.h"
#include "lib/agent/channel.h"
#include "lib/uapi/linux/ghost.h"

namespace ghost {

class KernelInterface {
 public:
  virtual ~KernelInterface() = default;

  // The enclave's CPUs, ascending.
  virtual absl::StatusOr<std::vector<int>> EnclaveCpus() = 0;

  // A new queue of `nelems` messages, owned by this interface (alive as
  // long as it is); `make_default` makes it the enclave's default queue.
  virtual absl::StatusOr<Channel*> CreateChannel(uint32_t nelems,
                                                 bool make_default) = 0;

  // The agent CPUs a message on `channel` wakes (empty: none).
  virtual absl::Status SetChannelWakeup(Channel& channel,
                                        absl::Span<const int> cpus) = 0;

  // The calling thread becomes the agent of `cpu`; returns the index of
  // its status word. While another agent has the CPU the code is
  // absl::ErrnoToStatusCode(EBUSY) (AgentGroup retries on it).
  virtual absl::StatusOr<uint32_t> AttachAgent(int cpu) = 0;

  // The calling agent thread leaves ghost (its CPU has no agent after).
  virtual void DetachAgent() = 0;

  // The status words of the enclave.
  virtual const StatusWordRegion& words() const = 0;

  // Hot path. Thread `gtid` sends to `channel` from now on, if `barrier`
  // is its latest sequence number: 0, ESTALE, ENOENT or another errno.
  virtual int Associate(const Channel& channel, uint64_t gtid,
                        uint32_t barrier) = 0;

  // The transaction slot of `cpu`.
  virtual ghost_txn* Txn(int cpu) = 0;

  // GHOST_OP_COMMIT of the READY slots of `cpus`: how many completed, or
  // a negative errno.
  virtual int Commit(const int* cpus, uint32_t nr_cpus, uint32_t flags,
                     uint32_t agent_barrier) = 0;

  // GHOST_OP_AGENT_BLOCK: 0 after a wakeup, ESTALE, EINTR or an errno.
  virtual int BlockAgent(uint32_t agent_barrier) = 0;

  // GHOST_OP_AGENT_PING: 0 or an errno.
  virtual int PingAgent(int cpu) = 0;

  // Set-up path. The enclave sends a CPU_TICK message for every tick of a
  // CPU that runs a ghost thread (deliver_ticks), to the CPU's channel
  // (SetCpuChannel); a policy times its slices with them.
  virtual absl::Status EnableTicks() = 0;

  // Hot path. The CPU messages of `cpu` (ticks, busy, available) go to
  // `channel` from now on (GHOST_OP_ASSOC_CPU_QUEUE): 0 or an errno.
  virtual int SetCpuChannel(int cpu, const Channel& channel) = 0;

  // GHOST_OP_SW_FREE of a dead or departed thread's word: 0 or an errno.
  virtual int FreeStatusWord(uint32_t region, uint32_t index) = 0;

  // Hot path, no system call. Whether a call of the calling thread found
  // that it is no longer an agent (BlockAgent's EINVAL, Commit's EPERM):
  // its enclave was destroyed (that detaches every agent, and wakes one
  // asleep in BlockAgent), its CPU went offline, or it left ghost. A
  // successful AttachAgent clears it. AgentGroup asks after every round.
  virtual bool CallerDetached() = 0;

  // Set-up path. Why the enclave was destroyed ("watchdog: thread ..."),
  // or nullopt while it lives (an agent that was detached alone).
  virtual absl::StatusOr<std::optional<std::string>> WhyDestroyed() = 0;
};

}  // namespace ghost

#endif  // GHOST_LIB_AGENT_KERNEL_INTERFACE_H_
