// The agent's hint region reader against honest and hostile regions: it
// reads only what changed, rescans on overflow, and gives a region up
// (never crashes, never spins forever) on bad geometry, bad indexes, a
// ring head that goes back, or sequence counts that never settle.
#include "lib/hints/hint_reader.h"

#include <cstring>
#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "lib/hints/hint_writer.h"

namespace ghost {
namespace {

struct Seen {
  std::vector<Hint> hints;
  void operator()(const Hint& h) { hints.push_back(h); }
};

std::unique_ptr<HintWriter> MakeWriter(uint32_t items, uint32_t ring = 0) {
  absl::StatusOr<std::unique_ptr<HintWriter>> w =
      HintWriter::Create(items, ring);
  EXPECT_TRUE(w.ok()) << w.status();
  return std::move(*w);
}

HintReader Open(const HintWriter& w, int64_t settle = 1000) {
  absl::StatusOr<HintReader> r = HintReader::Open(w.data(), w.size(), settle);
  EXPECT_TRUE(r.ok()) << r.status();
  return std::move(*r);
}

ghost_hint_header* Header(const HintWriter& w) {
  return static_cast<ghost_hint_header*>(w.data());
}
ghost_hint_item* Items(const HintWriter& w) {
  return reinterpret_cast<ghost_hint_item*>(static_cast<char*>(w.data()) +
                                            Header(w)->items_offset);
}
uint64_t* Ring(const HintWriter& w) {
  return reinterpret_cast<uint64_t*>(static_cast<char*>(w.data()) +
                                     Header(w)->ring_offset);
}

TEST(HintReaderTest, FirstPollReadsEveryItemThenOnlyChanges) {
  auto w = MakeWriter(8);
  ASSERT_TRUE(w->Claim(101, {.qos = 1}).ok());
  absl::StatusOr<uint32_t> b = w->Claim(102, {.qos = 2});
  ASSERT_TRUE(b.ok());
  HintReader r = Open(*w);
  Seen s;
  r.Poll(0, std::ref(s));
  ASSERT_EQ(s.hints.size(), 2u);
  EXPECT_EQ(s.hints[0].gtid, 101u);
  EXPECT_EQ(s.hints[0].qos, 1u);
  EXPECT_TRUE(s.hints[1].present);
  s.hints.clear();
  r.Poll(1, std::ref(s));
  EXPECT_TRUE(s.hints.empty());
  w->SetIdle(*b, true);
  r.Poll(2, std::ref(s));
  ASSERT_EQ(s.hints.size(), 1u);
  EXPECT_EQ(s.hints[0].gtid, 102u);
  EXPECT_TRUE(s.hints[0].idle);
  EXPECT_EQ(s.hints[0].qos, 2u);
  EXPECT_EQ(r.counters().rescans, 1u);
}

TEST(HintReaderTest, AReleasedItemSaysItsThreadHasNoHint) {
  auto w = MakeWriter(4);
  absl::StatusOr<uint32_t> a = w->Claim(7, {});
  HintReader r = Open(*w);
  Seen s;
  r.Poll(0, std::ref(s));
  s.hints.clear();
  w->Release(*a);
  r.Poll(1, std::ref(s));
  ASSERT_EQ(s.hints.size(), 1u);
  EXPECT_EQ(s.hints[0].gtid, 7u);
  EXPECT_FALSE(s.hints[0].present);
}

TEST(HintReaderTest, OverflowRescansEverything) {
  auto w = MakeWriter(4, 4);
  absl::StatusOr<uint32_t> a = w->Claim(7, {});
  HintReader r = Open(*w);
  Seen s;
  r.Poll(0, std::ref(s));
  for (int i = 0; i < 10; ++i) w->SetIdle(*a, i % 2 == 0);
  s.hints.clear();
  r.Poll(1, std::ref(s));
  EXPECT_EQ(r.counters().rescans, 2u);
  ASSERT_EQ(s.hints.size(), 1u);
  EXPECT_FALSE(s.hints[0].idle);  // the last write (i = 9)
  EXPECT_FALSE(r.faulted());
}

TEST(HintReaderTest, BadGeometryIsRefusedWithAReason) {
  auto w = MakeWriter(4);
  const ghost_hint_header good = *Header(*w);
  struct Case {
    const char* what;
    void (*spoil)(ghost_hint_header&);
  } cases[] = {
      {"magic", [](ghost_hint_header& h) { h.magic = 0; }},
      {"version", [](ghost_hint_header& h) { h.version = 99; }},
      {"item size", [](ghost_hint_header& h) { h.item_size = 8; }},
      {"no items", [](ghost_hint_header& h) { h.nr_items = 0; }},
      {"too many items", [](ghost_hint_header& h) { h.nr_items = 1u << 30; }},
      {"ring not 2^n", [](ghost_hint_header& h) { h.ring_entries = 3; }},
      {"ring outside", [](ghost_hint_header& h) { h.ring_offset = 1u << 31; }},
      {"items wrap",
       [](ghost_hint_header& h) { h.items_offset = 0xfffffff8u; }},
      {"overlap", [](ghost_hint_header& h) { h.ring_offset = h.items_offset; }},
      {"misaligned", [](ghost_hint_header& h) { h.ring_offset += 4; }},
  };
  for (const Case& c : cases) {
    *Header(*w) = good;
    c.spoil(*Header(*w));
    absl::StatusOr<HintReader> r = HintReader::Open(w->data(), w->size());
    EXPECT_FALSE(r.ok()) << c.what;
    EXPECT_FALSE(r.status().message().empty()) << c.what;
  }
  *Header(*w) = good;
  EXPECT_FALSE(HintReader::Open(w->data(), sizeof(ghost_hint_header) - 1).ok());
  EXPECT_FALSE(HintReader::Open(w->data(), w->size() - 8).ok());  // truncated
  EXPECT_FALSE(HintReader::Open(nullptr, 0).ok());
}

TEST(HintReaderTest, LaterHeaderWritesDoNotMoveTheGeometry) {
  auto w = MakeWriter(4);
  absl::StatusOr<uint32_t> a = w->Claim(7, {});
  HintReader r = Open(*w);
  const ghost_hint_header good = *Header(*w);
  Header(*w)->nr_items = 1u << 30;
  Header(*w)->ring_offset = 1u << 31;
  Seen s;
  r.Poll(0, std::ref(s));
  w->SetIdle(*a, true);
  r.Poll(1, std::ref(s));
  EXPECT_FALSE(r.faulted());
  EXPECT_EQ(s.hints.size(), 2u);
  *Header(*w) = good;
}

TEST(HintReaderTest, AnIndexPastTheItemsFaultsTheRegion) {
  auto w = MakeWriter(4);
  HintReader r = Open(*w);
  Seen s;
  r.Poll(0, std::ref(s));
  Ring(*w)[0] = (uint64_t{1} << 32) | 1000000;
  Header(*w)->ring_head = 1;
  r.Poll(1, std::ref(s));
  EXPECT_TRUE(r.faulted());
  EXPECT_NE(std::string(r.fault()).find("past the end"), std::string::npos);
  r.Poll(2, std::ref(s));  // a faulted region is not read again
  EXPECT_TRUE(s.hints.empty());
}

TEST(HintReaderTest, ARingHeadThatGoesBackFaultsTheRegion) {
  auto w = MakeWriter(4);
  absl::StatusOr<uint32_t> a = w->Claim(7, {});
  w->SetIdle(*a, true);
  HintReader r = Open(*w);
  Seen s;
  r.Poll(0, std::ref(s));
  Header(*w)->ring_head = 0;
  r.Poll(1, std::ref(s));
  EXPECT_TRUE(r.faulted());
}

TEST(HintReaderTest, ASequenceCountThatNeverSettlesFaultsInBoundedTime) {
  auto w = MakeWriter(4);
  absl::StatusOr<uint32_t> a = w->Claim(7, {});
  HintReader r = Open(*w, /*settle=*/1000);
  Seen s;
  r.Poll(0, std::ref(s));
  w->SetIdle(*a, true);
  Items(*w)[*a].seq |= 1;  // a writer stuck in the middle
  r.Poll(10, std::ref(s));
  EXPECT_FALSE(r.faulted());  // it may still finish
  EXPECT_GT(r.counters().unsettled, 0u);
  r.Poll(500, std::ref(s));
  EXPECT_FALSE(r.faulted());
  r.Poll(2000, std::ref(s));
  EXPECT_TRUE(r.faulted());
  EXPECT_EQ(s.hints.size(), 1u);  // only the first, settled read
}

TEST(HintReaderTest, AnItemThatSettlesLaterIsReadThen) {
  auto w = MakeWriter(4);
  absl::StatusOr<uint32_t> a = w->Claim(7, {});
  HintReader r = Open(*w, 1000);
  Seen s;
  r.Poll(0, std::ref(s));
  w->SetIdle(*a, true);
  Items(*w)[*a].seq += 1;  // odd
  r.Poll(10, std::ref(s));
  EXPECT_EQ(s.hints.size(), 1u);
  Items(*w)[*a].seq += 1;  // even again
  r.Poll(20, std::ref(s));
  EXPECT_FALSE(r.faulted());
  ASSERT_EQ(s.hints.size(), 2u);
  EXPECT_TRUE(s.hints[1].idle);
}

TEST(HintReaderTest, ATakenRingEntryNeverWrittenFaultsInBoundedTime) {
  auto w = MakeWriter(4);
  HintReader r = Open(*w, 1000);
  Seen s;
  r.Poll(0, std::ref(s));
  Header(*w)->ring_head += 1;  // position taken, entry never written
  r.Poll(10, std::ref(s));
  EXPECT_FALSE(r.faulted());
  r.Poll(5000, std::ref(s));
  EXPECT_TRUE(r.faulted());
}

TEST(HintReaderTest, GarbageEverywhereNeverCrashes) {
  auto w = MakeWriter(64, 64);
  HintReader r = Open(*w, 1000);
  uint64_t x = 88172645463325252ull;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  Seen s;
  const size_t skip = sizeof(ghost_hint_header);
  for (int round = 0; round < 2000 && !r.faulted(); ++round) {
    auto* bytes = static_cast<unsigned char*>(w->data());
    for (int i = 0; i < 16; ++i) bytes[skip + next() % (w->size() - skip)] = next();
    if (round % 7 == 0) Header(*w)->ring_head += next() % 100;
    r.Poll(round, std::ref(s));
  }
  for (const Hint& h : s.hints) EXPECT_LT(h.qos, GHOST_HINT_QOS_LEVELS);
}

TEST(HintWriterTest, TheRegionIsSealedAgainstShrinking) {
  auto w = MakeWriter(4);
  EXPECT_NE(ftruncate(w->fd(), 0), 0);
}

TEST(HintWriterTest, ClaimsRunOut) {
  auto w = MakeWriter(2);
  EXPECT_TRUE(w->Claim(1, {}).ok());
  EXPECT_TRUE(w->Claim(2, {}).ok());
  EXPECT_EQ(w->Claim(3, {}).status().code(),
            absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace ghost
