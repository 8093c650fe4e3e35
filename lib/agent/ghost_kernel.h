// GhostKernel: KernelInterface on the real ghost kernel, for one enclave.
// It opens the enclave's directory, maps its status words and cpu_data,
// and owns the queues it creates.
//
//   absl::StatusOr<std::unique_ptr<GhostKernel>> k =
//       GhostKernel::Open(Enclave(3, GHOSTFS_MOUNT_POINT));
//   PerCpuFifoScheduler sched(**k, ...);
#ifndef GHOST_LIB_AGENT_GHOST_KERNEL_H_
#define GHOST_LIB_AGENT_GHOST_KERNEL_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/abi/cpu_data_region.h"
#include "lib/abi/enclave.h"
#include "lib/abi/fd.h"
#include "lib/abi/message_queue.h"
#include "lib/abi/status_word_region.h"
#include "lib/agent/channel.h"
#include "lib/agent/kernel_interface.h"

namespace ghost {

class GhostKernel final : public KernelInterface {
 public:
  static absl::StatusOr<std::unique_ptr<GhostKernel>> Open(
      const Enclave& enclave);

  absl::StatusOr<std::vector<int>> EnclaveCpus() override;
  absl::StatusOr<Channel*> CreateChannel(uint32_t nelems,
                                         bool make_default) override;
  absl::Status SetChannelWakeup(Channel& channel,
                                absl::Span<const int> cpus) override;
  absl::StatusOr<uint32_t> AttachAgent(int cpu) override;
  void DetachAgent() override;
  const StatusWordRegion& words() const override { return words_; }
  int Associate(const Channel& channel, uint64_t gtid,
                uint32_t barrier) override;
  ghost_txn* Txn(int cpu) override { return cpu_data_.txn(cpu); }
  int Commit(const int* cpus, uint32_t nr_cpus, uint32_t flags,
             uint32_t agent_barrier) override;
  int BlockAgent(uint32_t agent_barrier) override;
  int PingAgent(int cpu) override;
  int FreeStatusWord(uint32_t region, uint32_t index) override;
  absl::Status EnableTicks() override;
  int SetCpuChannel(int cpu, const Channel& channel) override;
  bool CallerDetached() override;
  absl::StatusOr<std::optional<std::string>> WhyDestroyed() override;

  int enclave_fd() const { return dir_.get(); }

 private:
  GhostKernel(Enclave enclave, Fd dir, CpuDataRegion cpu_data,
              StatusWordRegion words)
      : enclave_(std::move(enclave)),
        dir_(std::move(dir)),
        cpu_data_(std::move(cpu_data)),
        words_(std::move(words)) {}

  const Enclave enclave_;
  Fd dir_;
  CpuDataRegion cpu_data_;
  StatusWordRegion words_;
  std::vector<std::unique_ptr<MessageQueue>> queues_;
  std::vector<std::unique_ptr<Channel>> channels_;
};

}  // namespace ghost

#endif  // GHOST_LIB_AGENT_GHOST_KERNEL_H_
