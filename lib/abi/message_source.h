// MessageSource: where an agent's Channel reads ghost messages from, in
// order. The ghost kernel's queues (MessageRing, a ring in shared memory
// with the ghost_queue_header of docs/abi.md) are one; the sched_ext
// backend's BPF ring buffers (lib/scx/bpf_message_ring.h) are another.
// Same contract for both: one reader, never blocks, never allocates.
#ifndef GHOST_LIB_ABI_MESSAGE_SOURCE_H_
#define GHOST_LIB_ABI_MESSAGE_SOURCE_H_

#include <cstdint>

#include "lib/uapi/linux/ghost.h"

namespace ghost {

class MessageSource {
 public:
  virtual ~MessageSource() = default;

  // Copies the oldest unread message into `*msg` and frees it. False if
  // there is none.
  virtual bool Pop(ghost_msg* msg) = 0;
  // The oldest unread message, left unread until Consume().
  virtual bool Peek(ghost_msg* msg) const = 0;
  // Frees the message Peek() returned.
  virtual void Consume() = 0;
  // Unread messages.
  virtual uint32_t Pending() const = 0;
  // How many messages the source holds at most.
  virtual uint32_t capacity() const = 0;
  // Messages the producer dropped because the source was full.
  virtual uint64_t overflow() const = 0;
};

}  // namespace ghost

#endif  // GHOST_LIB_ABI_MESSAGE_SOURCE_H_
