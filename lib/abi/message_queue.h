// MessageQueue: a ghost message queue created through ghost_run(), mapped
// into this process, with its ring reader: the queue's one reader (an
// agent's Channel reads through ring(), never a ring of its own).
//
//   absl::StatusOr<Fd> dir = OpenEnclaveDir(enclave.dir());
//   absl::StatusOr<MessageQueue> q =
//       MessageQueue::Create(dir->get(), 256, MessageQueue::kDefault);
//   ghost_msg msg;
//   while (q->ring().Pop(&msg)) { ... }
#ifndef GHOST_LIB_ABI_MESSAGE_QUEUE_H_
#define GHOST_LIB_ABI_MESSAGE_QUEUE_H_

#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "lib/abi/fd.h"
#include "lib/abi/mapped_region.h"
#include "lib/abi/message_ring.h"

namespace ghost {

class MessageQueue {
 public:
  enum Kind { kPlain, kDefault };

  // A queue of `nelems` messages (a power of two) in the enclave open at
  // `enclave_fd`; kDefault makes it the enclave's default queue.
  static absl::StatusOr<MessageQueue> Create(int enclave_fd, uint32_t nelems,
                                             Kind kind);

  MessageQueue(MessageQueue&& other) = default;
  MessageQueue& operator=(MessageQueue&&) = delete;

  int fd() const { return fd_.get(); }
  MessageRing& ring() { return ring_; }

  // Sends thread `gtid`'s messages here; `barrier` is the sequence number
  // of its latest message seen (FailedPrecondition-like ESTALE otherwise).
  absl::Status Associate(uint64_t gtid, uint32_t barrier);

  // The agent CPUs to wake on a message; empty: nobody (the agent polls).
  absl::Status SetWakeupCpus(absl::Span<const int> cpus);

  // Sends the CPU messages of `cpu` (CPU_TICK, CPU_BUSY, CPU_AVAILABLE)
  // here instead of to the default queue, until the CPU leaves the enclave.
  absl::Status AssociateCpu(int cpu);

 private:
  MessageQueue(Fd fd, MappedRegion mapping)
      : fd_(std::move(fd)),
        mapping_(std::move(mapping)),
        ring_(mapping_.data()) {}

  Fd fd_;
  MappedRegion mapping_;
  MessageRing ring_;  // after mapping_: it reads there
};

}  // namespace ghost

#endif  // GHOST_LIB_ABI_MESSAGE_QUEUE_H_
