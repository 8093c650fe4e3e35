// Channel over a ring in ordinary memory, produced the way docs/abi.md
// says the kernel produces: peek/consume, wrap-around of the free-running
// counters, and overflow noticed once so the agent resynchronises.
#include "lib/agent/channel.h"

#include <cstdint>
#include <limits>
#include <vector>

#include "gtest/gtest.h"
#include "lib/abi/message_ring.h"

namespace ghost {
namespace {

class Ring {
 public:
  explicit Ring(uint32_t nelems, uint32_t start_at = 0)
      : bytes_(GHOST_QUEUE_HDR_BYTES + nelems * sizeof(ghost_msg)) {
    hdr()->version = GHOST_ABI_VERSION;
    hdr()->nelems = nelems;
    hdr()->start = GHOST_QUEUE_HDR_BYTES;
    hdr()->head = hdr()->tail = start_at;
  }
  ghost_queue_header* hdr() {
    return reinterpret_cast<ghost_queue_header*>(bytes_.data());
  }
  void* mapping() { return bytes_.data(); }
  // The kernel's side: false (and overflow) when full.
  bool Produce(uint32_t seqnum) {
    if (hdr()->head - hdr()->tail >= hdr()->nelems) {
      hdr()->overflow++;
      return false;
    }
    auto* ring = reinterpret_cast<ghost_msg*>(bytes_.data() + hdr()->start);
    ring[hdr()->head & (hdr()->nelems - 1)] =
        ghost_msg{.type = GHOST_MSG_WAKEUP, .seqnum = seqnum};
    hdr()->head++;
    return true;
  }

 private:
  std::vector<char> bytes_;
};

TEST(ChannelTest, PeekLeavesTheMessageUntilConsumed) {
  Ring ring(16);
  MessageRing reader(ring.mapping());
  Channel ch(reader, 7);
  ASSERT_TRUE(ring.Produce(1));
  ghost_msg msg;
  ASSERT_TRUE(ch.Peek(&msg));
  EXPECT_EQ(msg.seqnum, 1u);
  ASSERT_TRUE(ch.Peek(&msg));  // still there
  EXPECT_EQ(ring.hdr()->tail, 0u);
  ch.Consume();
  EXPECT_EQ(ring.hdr()->tail, 1u);
  EXPECT_FALSE(ch.Peek(&msg));
  EXPECT_EQ(ch.id(), 7);
}

TEST(ChannelTest, ReadsInOrderAcrossTheCounterWrap) {
  // head and tail are free-running u32s: start just below the wrap.
  Ring ring(16, std::numeric_limits<uint32_t>::max() - 5);
  MessageRing reader(ring.mapping());
  Channel ch(reader, 1);
  uint32_t next = 1;
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(ring.Produce(next + i));
    EXPECT_EQ(ch.Pending(), 10u);
    ghost_msg msg;
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(ch.Pop(&msg));
      EXPECT_EQ(msg.seqnum, next + i);
    }
    next += 10;
    EXPECT_FALSE(ch.Pop(&msg));
  }
  EXPECT_LT(ring.hdr()->head, 100u) << "the counters wrapped";
}

TEST(ChannelTest, OverflowIsReportedOnceAndTheRingStaysIntact) {
  Ring ring(16);
  MessageRing reader(ring.mapping());
  Channel ch(reader, 1);
  EXPECT_FALSE(ch.TakeOverflow());
  for (uint32_t i = 1; i <= 20; ++i) ring.Produce(i);  // 4 dropped
  EXPECT_TRUE(ch.TakeOverflow());
  EXPECT_FALSE(ch.TakeOverflow()) << "the same overflow, seen already";
  EXPECT_EQ(ch.overflow(), 4u);
  ghost_msg msg;
  for (uint32_t i = 1; i <= 16; ++i) {
    ASSERT_TRUE(ch.Pop(&msg));
    EXPECT_EQ(msg.seqnum, i) << "what was queued is intact, in order";
  }
  EXPECT_FALSE(ch.Pop(&msg));
  ring.Produce(21);
  EXPECT_FALSE(ch.TakeOverflow());
  ring.hdr()->overflow++;  // a later drop
  EXPECT_TRUE(ch.TakeOverflow());
}

TEST(ChannelTest, AChannelOpenedOnAnOverflowedRingReportsOnlyNewDrops) {
  Ring ring(16);
  ring.hdr()->overflow = 3;  // before this agent
  MessageRing reader(ring.mapping());
  Channel ch(reader, 1);
  EXPECT_FALSE(ch.TakeOverflow());
}

}  // namespace
}  // namespace ghost
