// MessageRing: the agent's side of a ghost message queue's ring
// (struct ghost_queue_header, docs/abi.md "Queues"). It reads messages in
// order and gives their slots back; it never blocks and never allocates, so
// agents can call it on their hot path.
//
// The memory is the queue's shared mapping; the kernel produces into it.
// A ring has one reader: the tail it keeps is the only one, so it cannot
// be copied (MessageQueue owns it; an agent's Channel reads through it).
#ifndef GHOST_LIB_ABI_MESSAGE_RING_H_
#define GHOST_LIB_ABI_MESSAGE_RING_H_

#include <atomic>
#include <cstdint>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lib/abi/message_source.h"
#include "lib/uapi/linux/ghost.h"

namespace ghost {

class MessageRing final : public MessageSource {
 public:
  // Checks the header at `mapping` (`size` bytes) and returns the reader.
  static absl::Status Validate(const void* mapping, size_t size) {
    const auto* hdr = static_cast<const ghost_queue_header*>(mapping);
    if (size < sizeof(*hdr)) {
      return absl::InvalidArgumentError("queue mapping smaller than header");
    }
    if (hdr->version != GHOST_ABI_VERSION) {
      return absl::FailedPreconditionError(
          absl::StrCat("queue ABI version ", hdr->version, ", expected ",
                       GHOST_ABI_VERSION));
    }
    const uint32_t n = hdr->nelems;
    if (n == 0 || (n & (n - 1)) != 0 ||
        hdr->start + uint64_t{n} * sizeof(ghost_msg) > size) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad queue geometry: ", n, " slots at offset ",
                       hdr->start, " in ", size, " bytes"));
    }
    return absl::OkStatus();
  }

  // `mapping` must have passed Validate().
  explicit MessageRing(void* mapping)
      : hdr_(static_cast<ghost_queue_header*>(mapping)),
        ring_(reinterpret_cast<const ghost_msg*>(
            static_cast<const char*>(mapping) + hdr_->start)),
        mask_(hdr_->nelems - 1),
        tail_(Tail().load(std::memory_order_relaxed)) {}
  MessageRing(MessageRing&&) = default;
  MessageRing(const MessageRing&) = delete;
  MessageRing& operator=(const MessageRing&) = delete;

  // Copies the oldest unread message into `*msg` and frees its slot.
  // Returns false if there is none.
  bool Pop(ghost_msg* msg) override {
    const uint32_t head = Head().load(std::memory_order_acquire);
    if (head == tail_) return false;
    std::memcpy(msg, &ring_[tail_ & mask_], sizeof(*msg));
    ++tail_;
    // The kernel may reuse the slot once it sees the new tail.
    Tail().store(tail_, std::memory_order_release);
    return true;
  }

  // Copies the oldest unread message into `*msg` without freeing its slot;
  // Consume() frees it. Returns false if there is none. Lets a reader look
  // at a message and leave it for later (e.g. to another reader's turn).
  bool Peek(ghost_msg* msg) const override {
    const uint32_t head = Head().load(std::memory_order_acquire);
    if (head == tail_) return false;
    std::memcpy(msg, &ring_[tail_ & mask_], sizeof(*msg));
    return true;
  }

  // Frees the slot of the message Peek() returned.
  void Consume() override {
    ++tail_;
    Tail().store(tail_, std::memory_order_release);
  }

  // Unread messages.
  uint32_t Pending() const override {
    return Head().load(std::memory_order_acquire) - tail_;
  }

  uint32_t capacity() const override { return mask_ + 1; }

  // Messages the kernel dropped because the ring was full.
  uint64_t overflow() const override {
    return std::atomic_ref<__u64>(hdr_->overflow)
        .load(std::memory_order_relaxed);
  }

 private:
  std::atomic_ref<__u32> Head() const {
    return std::atomic_ref<__u32>(hdr_->head);
  }
  std::atomic_ref<__u32> Tail() const {
    return std::atomic_ref<__u32>(hdr_->tail);
  }

  ghost_queue_header* hdr_;
  const ghost_msg* ring_;
  uint32_t mask_;
  uint32_t tail_;  // our copy: only we write the shared tail
};

// CPU messages (TICK, BUSY, AVAILABLE) are about a CPU, not a thread: their
// gtid is 0 and they carry no sequence number.
inline bool IsCpuMessage(const ghost_msg& msg) {
  return msg.type >= GHOST_MSG_CPU_TICK;
}

// The name of a message type, for logs and test failures ("NEW").
inline const char* MessageTypeName(uint16_t type) {
  switch (type) {
    case GHOST_MSG_NEW:
      return "NEW";
    case GHOST_MSG_WAKEUP:
      return "WAKEUP";
    case GHOST_MSG_BLOCKED:
      return "BLOCKED";
    case GHOST_MSG_YIELD:
      return "YIELD";
    case GHOST_MSG_PREEMPTED:
      return "PREEMPTED";
    case GHOST_MSG_AFFINITY_CHANGED:
      return "AFFINITY_CHANGED";
    case GHOST_MSG_PRIORITY_CHANGED:
      return "PRIORITY_CHANGED";
    case GHOST_MSG_DEPARTED:
      return "DEPARTED";
    case GHOST_MSG_DEAD:
      return "DEAD";
    case GHOST_MSG_CPU_TICK:
      return "CPU_TICK";
    case GHOST_MSG_CPU_BUSY:
      return "CPU_BUSY";
    case GHOST_MSG_CPU_AVAILABLE:
      return "CPU_AVAILABLE";
    default:
      return "UNKNOWN";
  }
}

}  // namespace ghost

#endif  // GHOST_LIB_ABI_MESSAGE_RING_H_
