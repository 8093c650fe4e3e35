#include "lib/agent/ghost_kernel.h"

#include <sched.h>

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/abi/ghost_run.h"
#include "lib/abi/raw_ops.h"
#include "lib/util/cpu_list.h"

namespace ghost {

namespace {

// Set when a call of this thread says it is no longer an agent. Per
// thread: each agent thread is detached on its own (a CPU that goes
// offline detaches only its agent).
thread_local bool caller_detached = false;

}  // namespace

absl::StatusOr<std::unique_ptr<GhostKernel>> GhostKernel::Open(
    const Enclave& enclave) {
  absl::StatusOr<Fd> dir = OpenEnclaveDir(enclave.dir());
  if (!dir.ok()) return dir.status();
  absl::StatusOr<CpuDataRegion> cpu_data = CpuDataRegion::Map(enclave.dir());
  if (!cpu_data.ok()) return cpu_data.status();
  absl::StatusOr<StatusWordRegion> words = StatusWordRegion::Map(enclave.dir());
  if (!words.ok()) return words.status();
  return std::unique_ptr<GhostKernel>(new GhostKernel(
      enclave, std::move(*dir), std::move(*cpu_data), std::move(*words)));
}

absl::StatusOr<std::vector<int>> GhostKernel::EnclaveCpus() {
  absl::StatusOr<std::string> text = enclave_.Cpus();
  if (!text.ok()) return text.status();
  return ParseCpuList(*text);
}

absl::StatusOr<Channel*> GhostKernel::CreateChannel(uint32_t nelems,
                                                    bool make_default) {
  absl::StatusOr<MessageQueue> q = MessageQueue::Create(
      dir_.get(), nelems,
      make_default ? MessageQueue::kDefault : MessageQueue::kPlain);
  if (!q.ok()) return q.status();
  queues_.push_back(std::make_unique<MessageQueue>(std::move(*q)));
  channels_.push_back(std::make_unique<Channel>(queues_.back()->ring(),
                                                queues_.back()->fd()));
  return channels_.back().get();
}

absl::Status GhostKernel::SetChannelWakeup(Channel& channel,
                                           absl::Span<const int> cpus) {
  for (auto& q : queues_) {
    if (q->fd() == channel.id()) return q->SetWakeupCpus(cpus);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("queue fd ", channel.id(), " was not created here"));
}

absl::StatusOr<uint32_t> GhostKernel::AttachAgent(int cpu) {
  absl::StatusOr<uint32_t> sw = ghost::AttachAgent(dir_.get(), cpu);
  if (sw.ok()) caller_detached = false;
  return sw;
}

void GhostKernel::DetachAgent() {
  // Leaving ghost detaches the agent (docs/abi.md "Agents").
  struct sched_param param = {.sched_priority = 0};
  sched_setscheduler(0, SCHED_OTHER, &param);
}

// The hot path: raw operations, errnos rather than Statuses.
int GhostKernel::Associate(const Channel& channel, uint64_t gtid,
                           uint32_t barrier) {
  return raw::AssociateQueue(channel.id(), gtid, barrier);
}

int GhostKernel::Commit(const int* cpus, uint32_t nr_cpus, uint32_t flags,
                        uint32_t agent_barrier) {
  const int ret = raw::Commit(cpus, nr_cpus, flags, agent_barrier);
  // EPERM: the caller is not an agent (any more); ENODEV: its enclave is
  // being destroyed (it is detached a moment later).
  if (ret == -EPERM || ret == -ENODEV) caller_detached = true;
  return ret;
}

int GhostKernel::BlockAgent(uint32_t agent_barrier) {
  const int err = raw::BlockAgent(agent_barrier);
  // EINVAL: the caller is not an agent (any more).
  if (err == EINVAL) caller_detached = true;
  return err;
}

int GhostKernel::PingAgent(int cpu) { return raw::PingAgent(cpu); }

int GhostKernel::FreeStatusWord(uint32_t region, uint32_t index) {
  return raw::FreeStatusWord(dir_.get(), region, index);
}

absl::Status GhostKernel::EnableTicks() {
  return WriteGhostfsFile(enclave_.dir() + "/deliver_ticks", "1");
}

int GhostKernel::SetCpuChannel(int cpu, const Channel& channel) {
  return raw::AssociateCpuQueue(channel.id(), cpu);
}

bool GhostKernel::CallerDetached() { return caller_detached; }

absl::StatusOr<std::optional<std::string>> GhostKernel::WhyDestroyed() {
  absl::StatusOr<bool> destroyed = EnclaveDestroyed(dir_.get());
  if (!destroyed.ok()) return destroyed.status();
  if (!*destroyed) return std::nullopt;
  return DestroyedReason(enclave_.mount_point(), enclave_.id());
}

}  // namespace ghost
