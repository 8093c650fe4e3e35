#include "lib/agent/ghost_kernel.h"

#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/abi/ghost_run.h"
#include "lib/util/cpu_list.h"

namespace ghost {

namespace {

// ghost_run() without a Status: the hot path's errors are plain errnos.
long RawGhostRun(unsigned int op, void* arg, unsigned int size) {
  return syscall(__NR_ghost_run, op, arg, size);
}

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
  channels_.push_back(std::make_unique<Channel>(queues_.back()->mapping(),
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

int GhostKernel::Associate(const Channel& channel, uint64_t gtid,
                           uint32_t barrier) {
  ghost_assoc_queue_args args = {
      .queue_fd = channel.id(), .barrier = barrier, .gtid = gtid};
  return RawGhostRun(GHOST_OP_ASSOC_QUEUE, &args, sizeof(args)) < 0 ? errno : 0;
}

int GhostKernel::Commit(const int* cpus, uint32_t nr_cpus, uint32_t flags,
                        uint32_t agent_barrier) {
  ghost_commit_args args = {
      .cpus = reinterpret_cast<uint64_t>(cpus),
      .nr_cpus = nr_cpus,
      .flags = flags,
      .agent_barrier = agent_barrier,
  };
  const long ret = RawGhostRun(GHOST_OP_COMMIT, &args, sizeof(args));
  if (ret >= 0) return static_cast<int>(ret);
  // EPERM: the caller is not an agent (any more); ENODEV: its enclave is
  // being destroyed (it is detached a moment later).
  if (errno == EPERM || errno == ENODEV) caller_detached = true;
  return -errno;
}

int GhostKernel::BlockAgent(uint32_t agent_barrier) {
  ghost_agent_block_args args = {.agent_barrier = agent_barrier};
  if (RawGhostRun(GHOST_OP_AGENT_BLOCK, &args, sizeof(args)) == 0) return 0;
  // EINVAL: the caller is not an agent (any more).
  if (errno == EINVAL) caller_detached = true;
  return errno;
}

int GhostKernel::PingAgent(int cpu) {
  ghost_agent_ping_args args = {.cpu = cpu};
  return RawGhostRun(GHOST_OP_AGENT_PING, &args, sizeof(args)) < 0 ? errno : 0;
}

int GhostKernel::FreeStatusWord(uint32_t region, uint32_t index) {
  ghost_sw_args args = {
      .enclave_fd = dir_.get(), .region = region, .index = index};
  return RawGhostRun(GHOST_OP_SW_FREE, &args, sizeof(args)) < 0 ? errno : 0;
}

absl::Status GhostKernel::EnableTicks() {
  return WriteGhostfsFile(enclave_.dir() + "/deliver_ticks", "1");
}

int GhostKernel::SetCpuChannel(int cpu, const Channel& channel) {
  ghost_assoc_cpu_queue_args args = {.queue_fd = channel.id(), .cpu = cpu};
  return RawGhostRun(GHOST_OP_ASSOC_CPU_QUEUE, &args, sizeof(args)) < 0 ? errno
                                                                          : 0;
}

bool GhostKernel::CallerDetached() { return caller_detached; }

absl::StatusOr<std::optional<std::string>> GhostKernel::WhyDestroyed() {
  absl::StatusOr<bool> destroyed = EnclaveDestroyed(dir_.get());
  if (!destroyed.ok()) return destroyed.status();
  if (!*destroyed) return std::nullopt;
  return DestroyedReason(enclave_.mount_point(), enclave_.id());
}

}  // namespace ghost
