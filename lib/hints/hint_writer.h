// HintWriter: the application's side of a hint region
// (hint_region_layout.h): a sealed memfd with one item per thread. Each
// thread claims an item once, then says what it is about to do (runnable
// or idle, its QoS class, optionally a deadline and a work class); the
// agent reads only the items whose index went into the ring.
//
//   absl::StatusOr<std::unique_ptr<HintWriter>> w = HintWriter::Create(64);
//   RegisterHints(**w, enclave_id);        // hint_registration.h
//   // in each worker thread:
//   absl::StatusOr<uint32_t> me = (*w)->ClaimForCaller(/*qos=*/0);
//   (*w)->SetIdle(*me, true);    // waiting for work: take my CPU
//   (*w)->SetIdle(*me, false);   // work came
//
// Claim and Release take a lock (not for the hot path); Set/SetIdle are
// lock-free and may be called by the item's own thread only (one writer
// per item). Threads may push to the ring concurrently.
#ifndef GHOST_LIB_HINTS_HINT_WRITER_H_
#define GHOST_LIB_HINTS_HINT_WRITER_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "lib/abi/fd.h"
#include "lib/abi/mapped_region.h"
#include "lib/hints/hint_region_layout.h"

namespace ghost {

struct HintValues {
  bool idle = false;
  uint32_t qos = 0;  // 0: served first; < GHOST_HINT_QOS_LEVELS
  uint32_t work_class = 0;
  uint64_t deadline_ns = 0;  // CLOCK_MONOTONIC; 0: none
};

class HintWriter {
 public:
  // A region of `nr_items` items and a ring of `ring_entries` (a power of
  // two; 0: the next power of two >= 2 * nr_items).
  static absl::StatusOr<std::unique_ptr<HintWriter>> Create(
      uint32_t nr_items, uint32_t ring_entries = 0);

  // The memfd, to hand to the agent (sealed against shrinking and growing).
  int fd() const { return fd_.get(); }
  uint32_t nr_items() const { return nr_items_; }

  // Claims a free item for thread `gtid` with `values`; ResourceExhausted
  // when every item is taken.
  absl::StatusOr<uint32_t> Claim(uint64_t gtid, const HintValues& values);
  // Claim for the calling thread (its gtid from GHOST_OP_GET_GTID).
  absl::StatusOr<uint32_t> ClaimForCaller(uint32_t qos);
  // The item no longer names a thread; it may be claimed again.
  void Release(uint32_t item);

  void Set(uint32_t item, const HintValues& values);
  void SetIdle(uint32_t item, bool idle);

  // The raw region (tests; a C writer would use the layout directly).
  void* data() const { return region_.data(); }
  size_t size() const { return region_.size(); }

 private:
  HintWriter(Fd fd, MappedRegion region, uint32_t nr_items,
             uint32_t ring_entries);
  ghost_hint_item* Item(uint32_t i) const;
  // Writes the item under its sequence count and pushes its index.
  void Write(uint32_t item, uint32_t flags, uint64_t gtid,
             const HintValues& v);
  void Push(uint32_t item);

  Fd fd_;
  MappedRegion region_;
  const uint32_t nr_items_;
  const uint32_t ring_entries_;
  std::vector<HintValues> values_;  // per item, as last written (owner only)
  absl::Mutex mu_;
  std::vector<bool> claimed_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ghost

#endif  // GHOST_LIB_HINTS_HINT_WRITER_H_
