#include "lib/abi/message_queue.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/abi/ghost_run.h"
#include "lib/abi/raw_ops.h"

namespace ghost {

absl::StatusOr<MessageQueue> MessageQueue::Create(int enclave_fd,
                                                  uint32_t nelems, Kind kind) {
  ghost_create_queue_args args = {
      .enclave_fd = enclave_fd,
      .nelems = nelems,
      .flags = kind == kDefault ? GHOST_QUEUE_F_DEFAULT : 0u,
  };
  absl::StatusOr<long> ret =
      GhostRun(GHOST_OP_CREATE_QUEUE, &args, sizeof(args),
               absl::StrCat("create a queue of ", nelems, " messages"));
  if (!ret.ok()) return ret.status();
  Fd fd(static_cast<int>(*ret));
  absl::StatusOr<MappedRegion> mapping = MappedRegion::MapFd(
      fd.get(), args.map_size, MappedRegion::kReadWrite, "queue");
  if (!mapping.ok()) return mapping.status();
  if (absl::Status s = MessageRing::Validate(mapping->data(), mapping->size());
      !s.ok()) {
    return s;
  }
  return MessageQueue(std::move(fd), std::move(*mapping));
}

absl::Status MessageQueue::Associate(uint64_t gtid, uint32_t barrier) {
  return GhostRunStatus(
      GHOST_OP_ASSOC_QUEUE, raw::AssociateQueue(fd_.get(), gtid, barrier),
      absl::StrCat("associate gtid ", gtid, " at barrier ", barrier));
}

absl::Status MessageQueue::SetWakeupCpus(absl::Span<const int> cpus) {
  ghost_queue_wakeup_args args = {.queue_fd = fd_.get()};
  if (cpus.size() > GHOST_QUEUE_MAX_WAKEUP_CPUS) {
    return absl::InvalidArgumentError(
        absl::StrCat("at most ", GHOST_QUEUE_MAX_WAKEUP_CPUS,
                     " wakeup CPUs per queue, not ", cpus.size()));
  }
  args.nr_cpus = cpus.size();
  for (size_t i = 0; i < cpus.size(); ++i) args.cpus[i] = cpus[i];
  return GhostRun(GHOST_OP_CONFIG_QUEUE_WAKEUP, &args, sizeof(args),
                  "configure queue wakeup")
      .status();
}

absl::Status MessageQueue::AssociateCpu(int cpu) {
  return GhostRunStatus(
      GHOST_OP_ASSOC_CPU_QUEUE, raw::AssociateCpuQueue(fd_.get(), cpu),
      absl::StrCat("send the CPU messages of CPU ", cpu, " to a queue"));
}

}  // namespace ghost
