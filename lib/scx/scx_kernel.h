// ScxKernel: KernelInterface on a stock kernel's sched_ext, the second
// backend of the agents' kernel interface (the first is GhostKernel, on
// the ghost kernel). Policies run on it unchanged.
//
// It loads bpf/ghost_scx.bpf.c as the sched_ext scheduler (partial
// switch: only threads whose policy is SCHED_EXT are scheduled by the
// agents) and keeps the ghost ABI's shapes: status words and transaction
// slots are the scheduler's memory, mapped here; messages come on BPF ring
// buffers (one per channel) through BpfMessageRing; commits, associations,
// pings and frees run the scheduler's syscall program (BPF_PROG_RUN).
// An agent blocks in epoll on its CPU's doorbell, a small ring buffer the
// scheduler writes to when the agent's barrier moves.
//
// The "enclave" is the set of CPUs given at Load(); its threads are every
// SCHED_EXT thread. What sched_ext cannot do is refused with EOPNOTSUPP
// (sync groups). When the scheduler stops (this object is destroyed, the
// process dies, sched_ext's watchdog finds a thread runnable too long,
// an error), the kernel moves every SCHED_EXT thread back to the fair
// class; agents then find themselves detached and WhyDestroyed() says why.
#ifndef GHOST_LIB_SCX_SCX_KERNEL_H_
#define GHOST_LIB_SCX_SCX_KERNEL_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "bpf/ghost_scx.h"
#include "lib/abi/status_word_region.h"
#include "lib/agent/channel.h"
#include "lib/agent/kernel_interface.h"
#include "lib/scx/bpf_message_ring.h"

struct ghost_scx;    // the skeleton (bpf/ghost_scx.skel.h)
struct ring_buffer;  // libbpf

namespace ghost::scx {

class ScxKernel final : public KernelInterface {
 public:
  // Checks the kernel (sched_ext as in 6.12, nothing else loaded), loads
  // the scheduler for `cpus` and attaches it.
  static absl::StatusOr<std::unique_ptr<ScxKernel>> Load(
      std::vector<int> cpus, const std::string& sysfs = "/sys");
  // Detaches the scheduler: SCHED_EXT threads run in the fair class.
  ~ScxKernel() override;

  absl::StatusOr<std::vector<int>> EnclaveCpus() override { return cpus_; }
  absl::StatusOr<Channel*> CreateChannel(uint32_t nelems,
                                         bool make_default) override;
  absl::Status SetChannelWakeup(Channel& channel,
                                absl::Span<const int> cpus) override;
  absl::StatusOr<uint32_t> AttachAgent(int cpu) override;
  void DetachAgent() override;
  const StatusWordRegion& words() const override { return words_; }
  int Associate(const Channel& channel, uint64_t gtid,
                uint32_t barrier) override;
  ghost_txn* Txn(int cpu) override;
  int Commit(const int* cpus, uint32_t nr_cpus, uint32_t flags,
             uint32_t agent_barrier) override;
  int BlockAgent(uint32_t agent_barrier) override;
  int PingAgent(int cpu) override;
  absl::Status EnableTicks() override;
  int SetCpuChannel(int cpu, const Channel& channel) override;
  int FreeStatusWord(uint32_t region, uint32_t index) override;
  bool CallerDetached() override;
  absl::StatusOr<std::optional<std::string>> WhyDestroyed() override;

  // Whether the scheduler stopped, and why ("runnable task stall (...)").
  bool Exited() const;
  std::string ExitReason() const;
  // The scheduler's counters.
  const ghost_scx_stats& stats() const;

 private:
  ScxKernel(std::vector<int> cpus, ghost_scx* skel);
  absl::Status Attach();
  // Runs the scheduler's syscall program: its ret (0, a count, -errno).
  int Run(ghost_scx_args& args);

  struct ChannelRecord {
    std::unique_ptr<BpfMessageRing> ring;
    std::unique_ptr<Channel> channel;
    int map_fd = -1;
  };
  struct Doorbell {
    int map_fd = -1;
    ring_buffer* rb = nullptr;
  };

  const std::vector<int> cpus_;
  ghost_scx* skel_;
  int link_fd_ = -1;
  int prog_fd_ = -1;
  StatusWordRegion words_;
  absl::Mutex mu_;  // creating channels and doorbells (set-up path)
  std::vector<ChannelRecord> channels_ ABSL_GUARDED_BY(mu_);
  // By CPU; each written by that CPU's agent thread at attach.
  std::vector<Doorbell> doorbells_;
};

}  // namespace ghost::scx

#endif  // GHOST_LIB_SCX_SCX_KERNEL_H_
