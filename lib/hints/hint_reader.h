// HintReader: the agent's side of one application's hint region
// (hint_region_layout.h). The region is shared with a process the agent
// does not trust, so the reader:
//
//   - checks the geometry once, when the region is handed over, and keeps
//     its own copy: later writes to the header change nothing but the
//     ring head;
//   - reads every shared word as an atomic load, and never indexes with a
//     value it did not bound first;
//   - retries an item whose sequence count is odd or moved a few times,
//     then leaves it for the next poll, and gives the region up
//     (`faulted()`) if some item stays unsettled past `settle_limit`;
//   - gives the region up at once on an index past the items or a ring
//     head that goes back;
//   - rescans every item when the ring overflowed.
//
// Poll() never allocates and never blocks: its arrays are sized when the
// reader is made. The caller keeps the bytes mapped while the reader
// lives.
//
//   absl::StatusOr<HintReader> r = HintReader::Open(base, size);
//   r->Poll(now_ns, [&](const Hint& h) { ... });
//   if (r->faulted()) ... r->fault() says why; stop using it.
#ifndef GHOST_LIB_HINTS_HINT_READER_H_
#define GHOST_LIB_HINTS_HINT_READER_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "lib/hints/hint_region_layout.h"

namespace ghost {

// What one item says, as the agent applies it.
struct Hint {
  uint64_t gtid = 0;
  bool present = false;  // false: the item no longer names `gtid`
  bool idle = false;
  uint32_t qos = 0;  // < GHOST_HINT_QOS_LEVELS (larger values are clamped)
  uint32_t work_class = 0;
  uint64_t deadline_ns = 0;
};

class HintReader {
 public:
  // Limits on what a region may ask of the agent's memory and time.
  static constexpr uint32_t kMaxItems = 16384;
  static constexpr uint32_t kMaxRingEntries = 65536;
  // Attempts at one item per poll before it waits for the next one.
  static constexpr int kSettleTries = 4;

  // Checks the region of `size` bytes at `base`; an error says what is
  // wrong with it. `settle_limit_ns`: how long an item may stay unsettled.
  static absl::StatusOr<HintReader> Open(const void* base, size_t size,
                                         int64_t settle_limit_ns = 1000000000);

  // Calls `fn` for every item that changed since the last poll (all of
  // them on the first poll and after an overflow). Does nothing once the
  // region faulted.
  void Poll(int64_t now_ns, absl::FunctionRef<void(const Hint&)> fn);

  // The next poll reads every item again (e.g. the agent learnt of new
  // threads that earlier hints named).
  void RequestRescan() { rescan_ = true; }

  bool faulted() const { return fault_ != nullptr; }
  const char* fault() const { return fault_; }  // why; static text
  uint32_t nr_items() const { return nr_items_; }

  struct Counters {
    uint64_t hints = 0;      // items applied
    uint64_t rescans = 0;    // full rescans (first poll, overflows)
    uint64_t unsettled = 0;  // item reads that found the count moving
  };
  const Counters& counters() const { return counters_; }

 private:
  HintReader() = default;

  enum class Read { kOk, kUnsettled };
  Read ReadItem(uint32_t index, Hint* out);
  // Reads item `index` and reports it, or marks it pending.
  void Visit(uint32_t index, absl::FunctionRef<void(const Hint&)> fn);
  void Rescan(absl::FunctionRef<void(const Hint&)> fn);
  void RetryPending(absl::FunctionRef<void(const Hint&)> fn);
  void ConsumeRing(absl::FunctionRef<void(const Hint&)> fn);
  void Fault(const char* why) { fault_ = why; }

  const char* base_ = nullptr;
  uint32_t nr_items_ = 0;
  uint32_t items_offset_ = 0;
  uint32_t ring_offset_ = 0;
  uint32_t ring_mask_ = 0;
  int64_t settle_limit_ns_ = 0;

  uint64_t tail_ = 0;  // ring positions consumed
  bool scanned_ = false;
  bool rescan_ = false;
  std::vector<uint64_t> last_gtid_;   // per item: the gtid it last named
  std::vector<uint64_t> pending_;     // bitmap: items to read again
  uint32_t nr_pending_ = 0;
  int64_t unsettled_since_ = -1;      // -1: nothing pending
  bool ring_stalled_ = false;         // a taken entry not written yet
  const char* fault_ = nullptr;
  Counters counters_;
};

}  // namespace ghost

#endif  // GHOST_LIB_HINTS_HINT_READER_H_
