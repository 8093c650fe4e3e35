// BpfMessageRing over memory laid out as the kernel lays out a BPF ring
// buffer (consumer and producer positions, the data mapped twice, 8-byte
// record headers with BUSY and DISCARD bits), produced the way the kernel
// produces: records in order, some still busy, some discarded, wrapping.
#include "lib/scx/bpf_message_ring.h"

#include <cstring>
#include <vector>

#include "gtest/gtest.h"

namespace ghost::scx {
namespace {

class FakeRing {
 public:
  explicit FakeRing(uint64_t bytes) : bytes_(bytes), data_(2 * bytes) {}

  BpfMessageRing Reader() {
    return BpfMessageRing(&consumer_, &producer_, data_.data(), bytes_,
                          &overflow_);
  }

  // Appends a record of `len` payload bytes; returns its header offset.
  uint64_t Reserve(uint32_t len, uint32_t flags) {
    const uint64_t at = producer_;
    Header(at) = len | flags;
    std::memset(&data_[(at + 8) % bytes_], 0, 0);
    producer_ += (8 + len + 7) & ~uint64_t{7};
    return at;
  }

  void Write(uint64_t at, const ghost_msg& msg) {
    // The data is mapped twice: write both copies.
    for (size_t i = 0; i < sizeof(msg); ++i) {
      const uint64_t off = (at + 8 + i) % bytes_;
      data_[off] = reinterpret_cast<const char*>(&msg)[i];
      data_[off + bytes_] = data_[off];
    }
  }

  void Send(uint32_t seq, uint32_t flags = 0) {
    ghost_msg msg = {};
    msg.type = GHOST_MSG_WAKEUP;
    msg.seqnum = seq;
    const uint64_t at = Reserve(sizeof(msg), flags);
    Write(at, msg);
  }

  uint32_t& Header(uint64_t at) {
    uint32_t* h = reinterpret_cast<uint32_t*>(&data_[at % bytes_]);
    return *h;
  }

  uint64_t consumer_ = 0;
  uint64_t producer_ = 0;
  uint64_t overflow_ = 0;
  const uint64_t bytes_;
  std::vector<char> data_;
};

TEST(BpfMessageRing, ReadsMessagesInOrder) {
  FakeRing f(4096);
  BpfMessageRing r = f.Reader();
  ghost_msg m;
  EXPECT_FALSE(r.Pop(&m));
  f.Send(1);
  f.Send(2);
  EXPECT_EQ(r.Pending(), 2u);
  ASSERT_TRUE(r.Pop(&m));
  EXPECT_EQ(m.seqnum, 1u);
  ASSERT_TRUE(r.Pop(&m));
  EXPECT_EQ(m.seqnum, 2u);
  EXPECT_FALSE(r.Pop(&m));
  // The reader gave the space back.
  EXPECT_EQ(f.consumer_, f.producer_);
}

TEST(BpfMessageRing, StopsAtARecordStillBeingWritten) {
  FakeRing f(4096);
  BpfMessageRing r = f.Reader();
  f.Send(1);
  const uint64_t busy = f.Reserve(sizeof(ghost_msg), kRingBusyBit);
  f.Send(3);
  ghost_msg m;
  ASSERT_TRUE(r.Pop(&m));
  EXPECT_EQ(m.seqnum, 1u);
  EXPECT_FALSE(r.Pop(&m));  // not past the busy one
  ghost_msg two = {};
  two.seqnum = 2;
  f.Write(busy, two);
  f.Header(busy) &= ~kRingBusyBit;  // committed
  ASSERT_TRUE(r.Pop(&m));
  EXPECT_EQ(m.seqnum, 2u);
  ASSERT_TRUE(r.Pop(&m));
  EXPECT_EQ(m.seqnum, 3u);
}

TEST(BpfMessageRing, SkipsDiscardedAndForeignRecords) {
  FakeRing f(4096);
  BpfMessageRing r = f.Reader();
  f.Reserve(sizeof(ghost_msg), kRingDiscardBit);
  f.Reserve(8, 0);  // not a message
  f.Send(7);
  ghost_msg m;
  ASSERT_TRUE(r.Pop(&m));
  EXPECT_EQ(m.seqnum, 7u);
  EXPECT_EQ(r.skipped(), 2u);
}

TEST(BpfMessageRing, PeekLeavesTheMessageUntilConsumed) {
  FakeRing f(4096);
  BpfMessageRing r = f.Reader();
  f.Send(1);
  ghost_msg m;
  ASSERT_TRUE(r.Peek(&m));
  ASSERT_TRUE(r.Peek(&m));
  EXPECT_EQ(m.seqnum, 1u);
  r.Consume();
  EXPECT_FALSE(r.Peek(&m));
}

TEST(BpfMessageRing, WrapsAroundTheEnd) {
  FakeRing f(4096);
  BpfMessageRing r = f.Reader();
  ghost_msg m;
  // 72-byte records do not divide 4096: some straddle the end.
  for (uint32_t seq = 1; seq <= 500; ++seq) {
    f.Send(seq);
    ASSERT_TRUE(r.Pop(&m)) << seq;
    ASSERT_EQ(m.seqnum, seq);
  }
}

TEST(BpfMessageRing, CapacityAndOverflowComeFromTheRing) {
  FakeRing f(8192);
  BpfMessageRing r = f.Reader();
  EXPECT_EQ(r.capacity(), 8192u / kRingRecordBytes);
  EXPECT_EQ(r.overflow(), 0u);
  f.overflow_ = 3;
  EXPECT_EQ(r.overflow(), 3u);
}

}  // namespace
}  // namespace ghost::scx
