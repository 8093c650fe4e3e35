// Channel: one message queue as an agent consumes it: the queue's reader
// (a MessageSource, owned by the queue: a ring has one reader, one tail;
// the ghost kernel's MessageRing or the sched_ext backend's BPF ring), the
// handle the kernel knows the queue by (its fd, or the backend's channel
// number, used to associate threads with it), and overflow detection.
//
// When the kernel finds the ring full it drops the message and raises the
// header's overflow counter; the thread's status word barrier still moves.
// A Channel notices the rise once, so the agent can resynchronise its view
// of the threads from their status words (Scheduler::Resync) instead of
// trusting a stream with holes in it.
//
//   ghost_msg msg;
//   while (channel.Pop(&msg)) scheduler.Dispatch(msg, cpu);
//   if (channel.TakeOverflow()) scheduler.Resync(...);
//
// Never allocates, never blocks: safe on the agent's hot path. One reader
// at a time.
#ifndef GHOST_LIB_AGENT_CHANNEL_H_
#define GHOST_LIB_AGENT_CHANNEL_H_

#include <cstdint>

#include "lib/abi/message_source.h"
#include "lib/uapi/linux/ghost.h"

namespace ghost {

class Channel {
 public:
  // Reads through `ring`, which must outlive the channel; `id` is the
  // queue's fd (or another kernel interface's handle).
  Channel(MessageSource& ring, int id)
      : ring_(ring), id_(id), overflow_seen_(ring_.overflow()) {}

  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // The oldest unread message, freed from the ring. False if none.
  bool Pop(ghost_msg* msg) { return ring_.Pop(msg); }

  // The oldest unread message, left in the ring until Consume().
  bool Peek(ghost_msg* msg) const { return ring_.Peek(msg); }
  void Consume() { ring_.Consume(); }

  uint32_t Pending() const { return ring_.Pending(); }
  uint32_t capacity() const { return ring_.capacity(); }

  // True once for every rise of the kernel's overflow counter: messages
  // were dropped since the last call, so some threads' streams have holes.
  bool TakeOverflow() {
    const uint64_t now = ring_.overflow();
    if (now == overflow_seen_) return false;
    overflow_seen_ = now;
    return true;
  }

  // Messages dropped so far, as the kernel counts them.
  uint64_t overflow() const { return ring_.overflow(); }

  int id() const { return id_; }

 private:
  MessageSource& ring_;
  const int id_;
  uint64_t overflow_seen_;
};

}  // namespace ghost

#endif  // GHOST_LIB_AGENT_CHANNEL_H_
