#include "lib/hints/hint_reader.h"

#include <atomic>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace ghost {
namespace {

// The region is written by another process at any time: every shared
// word is read once, atomically, into a local.
template <typename T>
T Load(const void* p, std::memory_order order = std::memory_order_relaxed) {
  return std::atomic_ref<T>(*const_cast<T*>(static_cast<const T*>(p)))
      .load(order);
}

bool PowerOfTwo(uint32_t n) { return n != 0 && (n & (n - 1)) == 0; }

// Whether [off, off + len) lies inside `size` bytes (no overflow).
bool Inside(uint64_t off, uint64_t len, uint64_t size) {
  return off <= size && len <= size - off;
}

}  // namespace

absl::StatusOr<HintReader> HintReader::Open(const void* base, size_t size,
                                            int64_t settle_limit_ns) {
  if (base == nullptr || size < sizeof(ghost_hint_header)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "hint region of ", size, " bytes: smaller than its header (",
        sizeof(ghost_hint_header), ")"));
  }
  // One copy of the header: the checks and the reader use the same values.
  ghost_hint_header h;
  std::memcpy(&h, base, sizeof(h));
  if (h.magic != GHOST_HINT_MAGIC) {
    return absl::InvalidArgumentError("not a hint region (bad magic)");
  }
  if (h.version != GHOST_HINT_VERSION) {
    return absl::InvalidArgumentError(
        absl::StrCat("hint region version ", h.version, ", this agent reads ",
                     GHOST_HINT_VERSION));
  }
  if (h.header_size != sizeof(ghost_hint_header) ||
      h.item_size != sizeof(ghost_hint_item)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "hint region sizes: header ", h.header_size, " item ", h.item_size,
        ", expected ", sizeof(ghost_hint_header), " and ",
        sizeof(ghost_hint_item)));
  }
  if (h.nr_items == 0 || h.nr_items > kMaxItems) {
    return absl::InvalidArgumentError(absl::StrCat(
        "hint region with ", h.nr_items, " items (1 to ", kMaxItems, ")"));
  }
  if (!PowerOfTwo(h.ring_entries) || h.ring_entries > kMaxRingEntries) {
    return absl::InvalidArgumentError(
        absl::StrCat("hint ring of ", h.ring_entries,
                     " entries: not a power of two up to ", kMaxRingEntries));
  }
  const uint64_t items_len = uint64_t{h.nr_items} * sizeof(ghost_hint_item);
  const uint64_t ring_len = uint64_t{h.ring_entries} * sizeof(uint64_t);
  if (h.items_offset % 8 != 0 || h.ring_offset % 8 != 0 ||
      h.items_offset < sizeof(h) || h.ring_offset < sizeof(h) ||
      !Inside(h.items_offset, items_len, size) ||
      !Inside(h.ring_offset, ring_len, size)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "hint region of ", size, " bytes: items at ", h.items_offset,
        " or ring at ", h.ring_offset, " misaligned or outside it"));
  }
  const bool apart = h.items_offset + items_len <= h.ring_offset ||
                     h.ring_offset + ring_len <= h.items_offset;
  if (!apart) {
    return absl::InvalidArgumentError("hint region: items and ring overlap");
  }
  HintReader r;
  r.base_ = static_cast<const char*>(base);
  r.nr_items_ = h.nr_items;
  r.items_offset_ = h.items_offset;
  r.ring_offset_ = h.ring_offset;
  r.ring_mask_ = h.ring_entries - 1;
  r.settle_limit_ns_ = settle_limit_ns;
  r.last_gtid_.assign(h.nr_items, 0);
  r.pending_.assign((h.nr_items + 63) / 64, 0);
  return r;
}

HintReader::Read HintReader::ReadItem(uint32_t index, Hint* out) {
  const char* item = base_ + items_offset_ + index * sizeof(ghost_hint_item);
  for (int i = 0; i < kSettleTries; ++i) {
    const uint32_t seq = Load<uint32_t>(item, std::memory_order_acquire);
    if (seq & 1) continue;
    const uint32_t flags =
        Load<uint32_t>(item + offsetof(ghost_hint_item, flags));
    const uint64_t gtid =
        Load<uint64_t>(item + offsetof(ghost_hint_item, gtid));
    const uint32_t qos = Load<uint32_t>(item + offsetof(ghost_hint_item, qos));
    const uint32_t work =
        Load<uint32_t>(item + offsetof(ghost_hint_item, work_class));
    const uint64_t deadline =
        Load<uint64_t>(item + offsetof(ghost_hint_item, deadline_ns));
    std::atomic_thread_fence(std::memory_order_acquire);
    if (Load<uint32_t>(item) != seq) continue;
    *out = Hint{.gtid = gtid,
                .present = (flags & GHOST_HINT_F_VALID) != 0 && gtid != 0,
                .idle = (flags & GHOST_HINT_F_IDLE) != 0,
                .qos = qos < GHOST_HINT_QOS_LEVELS ? qos
                                                   : GHOST_HINT_QOS_LEVELS - 1,
                .work_class = work,
                .deadline_ns = deadline};
    return Read::kOk;
  }
  ++counters_.unsettled;
  return Read::kUnsettled;
}

void HintReader::Visit(uint32_t index,
                       absl::FunctionRef<void(const Hint&)> fn) {
  Hint h;
  uint64_t& bits = pending_[index / 64];
  const uint64_t bit = uint64_t{1} << (index % 64);
  if (ReadItem(index, &h) == Read::kUnsettled) {
    if (!(bits & bit)) ++nr_pending_;
    bits |= bit;
    return;
  }
  if (bits & bit) --nr_pending_;
  bits &= ~bit;
  uint64_t& last = last_gtid_[index];
  // The item named another thread before: that one has no hint now.
  if (last != 0 && last != h.gtid) fn(Hint{.gtid = last, .present = false});
  if (last == 0 && !h.present) return;  // empty then and now
  last = h.present ? h.gtid : 0;
  if (h.gtid != 0) fn(h);
  ++counters_.hints;
}

void HintReader::Rescan(absl::FunctionRef<void(const Hint&)> fn) {
  ++counters_.rescans;
  for (uint32_t i = 0; i < nr_items_; ++i) Visit(i, fn);
}

void HintReader::RetryPending(absl::FunctionRef<void(const Hint&)> fn) {
  for (uint32_t w = 0; w < pending_.size() && nr_pending_ > 0; ++w) {
    for (uint64_t bits = pending_[w]; bits != 0; bits &= bits - 1) {
      Visit(w * 64 + __builtin_ctzll(bits), fn);
    }
  }
}

void HintReader::ConsumeRing(absl::FunctionRef<void(const Hint&)> fn) {
  const char* hdr = base_;
  const uint64_t head = Load<uint64_t>(
      hdr + offsetof(ghost_hint_header, ring_head), std::memory_order_acquire);
  if (head < tail_) return Fault("its ring head went back");
  if (head - tail_ > ring_mask_ + 1ull) {
    tail_ = head;  // fell behind: what changed is unknown, read it all
    Rescan(fn);
    return;
  }
  const char* ring = base_ + ring_offset_;
  while (tail_ != head) {
    const uint64_t entry = Load<uint64_t>(
        ring + (tail_ & ring_mask_) * sizeof(uint64_t),
        std::memory_order_acquire);
    const uint32_t tag = static_cast<uint32_t>(entry >> 32);
    const uint32_t want = static_cast<uint32_t>(tail_ + 1);
    if (tag != want) {
      // Taken but not written yet (an older tag; the pending wait bounds
      // it), or written over by a writer that lapped us: read everything.
      if (static_cast<int32_t>(tag - want) > 0) {
        tail_ = head;
        Rescan(fn);
      } else {
        ring_stalled_ = true;
      }
      return;
    }
    const uint32_t index = static_cast<uint32_t>(entry);
    if (index >= nr_items_) return Fault("its ring named an item past the end");
    Visit(index, fn);
    ++tail_;
  }
}

void HintReader::Poll(int64_t now_ns, absl::FunctionRef<void(const Hint&)> fn) {
  if (faulted()) return;
  ring_stalled_ = false;
  if (!scanned_) {
    scanned_ = true;
    tail_ = Load<uint64_t>(base_ + offsetof(ghost_hint_header, ring_head),
                           std::memory_order_acquire);
    Rescan(fn);
  } else {
    if (nr_pending_ > 0) RetryPending(fn);
    ConsumeRing(fn);
    if (rescan_ && !faulted()) Rescan(fn);
  }
  rescan_ = false;
  if (faulted()) return;
  // An item (or a ring entry) that never settles would hold the agent to
  // this region forever: give it a bounded time, then give the region up.
  if (nr_pending_ == 0 && !ring_stalled_) {
    unsettled_since_ = -1;
  } else if (unsettled_since_ < 0) {
    unsettled_since_ = now_ns;
  } else if (now_ns - unsettled_since_ > settle_limit_ns_) {
    Fault(ring_stalled_ ? "a ring entry was taken and never written"
                        : "an item's sequence count never settled");
  }
}

}  // namespace ghost
