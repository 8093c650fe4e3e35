// MessageRing against a ring in ordinary memory, written the way docs/abi.md
// says the kernel writes it. The kernel's own producer is tested in the VM
// (tests/vm/message_test.cc).
#include "lib/abi/message_ring.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace ghost {
namespace {

class RingInMemory {
 public:
  explicit RingInMemory(uint32_t nelems, uint32_t start_at = 0)
      : bytes_(GHOST_QUEUE_HDR_BYTES + nelems * sizeof(ghost_msg)) {
    hdr()->version = GHOST_ABI_VERSION;
    hdr()->nelems = nelems;
    hdr()->start = GHOST_QUEUE_HDR_BYTES;
    hdr()->head = start_at;
    hdr()->tail = start_at;
  }

  ghost_queue_header* hdr() {
    return reinterpret_cast<ghost_queue_header*>(bytes_.data());
  }
  void* mapping() { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }

  // The producer side of the protocol: false when full.
  bool Produce(uint32_t seqnum) {
    const uint32_t n = hdr()->nelems;
    if (hdr()->head - hdr()->tail >= n) {
      hdr()->overflow++;
      return false;
    }
    auto* ring = reinterpret_cast<ghost_msg*>(bytes_.data() + hdr()->start);
    ring[hdr()->head & (n - 1)] = ghost_msg{.type = GHOST_MSG_WAKEUP,
                                            .seqnum = seqnum};
    hdr()->head++;
    return true;
  }

 private:
  std::vector<char> bytes_;
};

TEST(MessageRingTest, EmptyRingPopsNothing) {
  RingInMemory mem(16);
  ASSERT_TRUE(MessageRing::Validate(mem.mapping(), mem.size()).ok());
  MessageRing ring(mem.mapping());
  ghost_msg msg;
  EXPECT_FALSE(ring.Pop(&msg));
  EXPECT_EQ(ring.Pending(), 0u);
  EXPECT_EQ(ring.capacity(), 16u);
}

TEST(MessageRingTest, PopsInOrderAcrossManyWraps) {
  RingInMemory mem(16);
  MessageRing ring(mem.mapping());
  uint32_t next_produced = 1, next_expected = 1;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 11; ++i) ASSERT_TRUE(mem.Produce(next_produced++));
    ghost_msg msg;
    while (ring.Pop(&msg)) {
      ASSERT_EQ(msg.seqnum, next_expected++);
    }
    // The slots went back: the producer sees the reader's tail.
    EXPECT_EQ(mem.hdr()->tail, mem.hdr()->head);
  }
  EXPECT_EQ(next_expected, next_produced);
}

TEST(MessageRingTest, CountersWrapAround32Bits) {
  RingInMemory mem(16, /*start_at=*/0xfffffff8u);
  MessageRing ring(mem.mapping());
  for (uint32_t i = 1; i <= 16; ++i) ASSERT_TRUE(mem.Produce(i));
  EXPECT_EQ(ring.Pending(), 16u);
  ghost_msg msg;
  for (uint32_t i = 1; i <= 16; ++i) {
    ASSERT_TRUE(ring.Pop(&msg));
    EXPECT_EQ(msg.seqnum, i);
  }
  EXPECT_FALSE(ring.Pop(&msg));
}

TEST(MessageRingTest, FullRingDropsAndCountsUntilTheReaderCatchesUp) {
  RingInMemory mem(16);
  MessageRing ring(mem.mapping());
  for (uint32_t i = 1; i <= 16; ++i) ASSERT_TRUE(mem.Produce(i));
  EXPECT_FALSE(mem.Produce(17));
  EXPECT_EQ(ring.overflow(), 1u);
  ghost_msg msg;
  ASSERT_TRUE(ring.Pop(&msg));
  EXPECT_EQ(msg.seqnum, 1u);
  EXPECT_TRUE(mem.Produce(18));
}

TEST(MessageRingTest, ValidateRejectsForeignVersionsAndBadGeometry) {
  RingInMemory mem(16);
  mem.hdr()->version = GHOST_ABI_VERSION + 1;
  EXPECT_EQ(MessageRing::Validate(mem.mapping(), mem.size()).code(),
            absl::StatusCode::kFailedPrecondition);
  mem.hdr()->version = GHOST_ABI_VERSION;
  mem.hdr()->nelems = 12;
  EXPECT_FALSE(MessageRing::Validate(mem.mapping(), mem.size()).ok());
  mem.hdr()->nelems = 32;  // more slots than the mapping holds
  EXPECT_FALSE(MessageRing::Validate(mem.mapping(), mem.size()).ok());
  EXPECT_FALSE(MessageRing::Validate(mem.mapping(), 8).ok());
}

TEST(MessageRingTest, MessageIsOneCacheLine) {
  EXPECT_EQ(sizeof(ghost_msg), 64u);
  EXPECT_EQ(sizeof(ghost_status_word), 32u);
  EXPECT_EQ(offsetof(ghost_queue_header, head), 64u);
  EXPECT_EQ(offsetof(ghost_queue_header, tail), 128u);
}

}  // namespace
}  // namespace ghost
