// BpfMessageRing: ghost messages read from a BPF ring buffer
// (BPF_MAP_TYPE_RINGBUF), the sched_ext backend's channel. The scheduler
// (bpf/ghost_scx.bpf.c) writes each struct ghost_msg as one record; this
// reads them in order, as MessageRing reads a ghost kernel queue.
//
// The ring's layout is the kernel's: a consumer page (the reader's
// position, which the reader writes), a producer page (the producer's
// position), then the data, mapped twice in a row so a record that wraps
// reads as one piece. Each record starts with an 8-byte header: its
// length, with a BUSY bit while the producer writes it and a DISCARD bit
// for a record given up. Records are 8-byte aligned.
//
// Never blocks, never allocates: safe on the agent's hot path. One reader.
#ifndef GHOST_LIB_SCX_BPF_MESSAGE_RING_H_
#define GHOST_LIB_SCX_BPF_MESSAGE_RING_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "lib/abi/message_source.h"
#include "lib/uapi/linux/ghost.h"

namespace ghost::scx {

// The kernel's ring buffer record header bits (include/uapi/linux/bpf.h).
inline constexpr uint32_t kRingBusyBit = 1U << 31;
inline constexpr uint32_t kRingDiscardBit = 1U << 30;
inline constexpr uint32_t kRingHeaderBytes = 8;
// One message as the ring stores it: header and message, 8-aligned.
inline constexpr uint32_t kRingRecordBytes =
    kRingHeaderBytes + sizeof(ghost_msg);

class BpfMessageRing final : public MessageSource {
 public:
  // Maps the ring buffer map `map_fd` of `data_bytes` (a power of two
  // multiple of the page size) and reads it; `overflow` counts the
  // messages the producer could not write (the scheduler's counter for
  // this channel, in memory that outlives the ring).
  static absl::StatusOr<std::unique_ptr<BpfMessageRing>> Map(
      int map_fd, uint64_t data_bytes, const uint64_t* overflow);

  // Reads a ring laid out in memory the caller owns (host tests):
  // `consumer` and `producer` positions, `data` of `data_bytes` mapped
  // twice in a row (2 * data_bytes readable).
  BpfMessageRing(uint64_t* consumer, const uint64_t* producer,
                 const char* data, uint64_t data_bytes,
                 const uint64_t* overflow);
  ~BpfMessageRing() override;
  BpfMessageRing(const BpfMessageRing&) = delete;
  BpfMessageRing& operator=(const BpfMessageRing&) = delete;

  bool Pop(ghost_msg* msg) override;
  bool Peek(ghost_msg* msg) const override;
  void Consume() override;
  uint32_t Pending() const override;
  uint32_t capacity() const override {
    return static_cast<uint32_t>(mask_ + 1) / kRingRecordBytes;
  }
  uint64_t overflow() const override;

  // Records skipped: discarded, or not the size of a message.
  uint64_t skipped() const { return skipped_; }

 private:
  // Moves past records that are not messages; the header of the next
  // message, or nullptr if none is complete yet.
  const char* Next() const;
  void Advance(uint64_t bytes) const;

  uint64_t* consumer_;
  const uint64_t* producer_;
  const char* data_;
  uint64_t mask_;
  const uint64_t* overflow_;
  mutable uint64_t pos_;  // our copy: only we write the consumer position
  mutable uint64_t skipped_ = 0;
  // What Map() mapped, unmapped by the destructor (null for memory the
  // caller owns).
  void* consumer_map_ = nullptr;
  void* producer_map_ = nullptr;
  uint64_t producer_map_bytes_ = 0;
};

}  // namespace ghost::scx

#endif  // GHOST_LIB_SCX_BPF_MESSAGE_RING_H_
