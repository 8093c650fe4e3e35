// StatusWordRegion: an enclave's status words (docs/abi.md "Status
// words"), mapped read-only. Agents read a thread's state here without a
// system call, and a new agent finds every thread of the enclave by scanning
// the words in use.
#ifndef GHOST_LIB_ABI_STATUS_WORD_REGION_H_
#define GHOST_LIB_ABI_STATUS_WORD_REGION_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/abi/mapped_region.h"
#include "lib/uapi/linux/ghost.h"

namespace ghost {

// One consistent-enough copy of a word: every field is read atomically.
struct StatusWord {
  uint32_t index;
  uint32_t barrier;
  uint32_t flags;
  uint64_t gtid;
  uint64_t switch_time;
  uint64_t runtime;

  bool in_use() const { return flags & GHOST_SW_F_INUSE; }
  bool can_free() const { return flags & GHOST_SW_F_CANFREE; }
  bool on_cpu() const { return flags & GHOST_SW_F_ONCPU; }
  bool runnable() const { return flags & GHOST_SW_F_RUNNABLE; }
};

class StatusWordRegion {
 public:
  // Maps <enclave_dir>/sw_regions/sw_0.
  static absl::StatusOr<StatusWordRegion> Map(const std::string& enclave_dir);

  // Reads `GHOST_SW_REGION_WORDS` words at `words`, memory that the caller
  // owns and keeps alive (a test's fake kernel). Nothing is unmapped.
  static StatusWordRegion FromMemory(const ghost_status_word* words) {
    return StatusWordRegion(MappedRegion::Borrow(
        const_cast<ghost_status_word*>(words),
        GHOST_SW_REGION_WORDS * sizeof(ghost_status_word)));
  }

  // The word at `index` (< GHOST_SW_REGION_WORDS).
  StatusWord Read(uint32_t index) const;

  // The word in use for `gtid`, if any.
  std::optional<StatusWord> Find(uint64_t gtid) const;

  // Every word in use: the threads of the enclave, and those that left but
  // whose words were not freed yet.
  std::vector<StatusWord> InUse() const;

  // Calls `fn(const StatusWord&)` for every word in use, without
  // allocating (for agents that rescan on their hot path).
  template <typename Fn>
  void ForEachInUse(Fn fn) const {
    for (uint32_t i = 0; i < GHOST_SW_REGION_WORDS; ++i) {
      const StatusWord w = Read(i);
      if (w.in_use()) fn(w);
    }
  }

 private:
  explicit StatusWordRegion(MappedRegion region)
      : region_(std::move(region)) {}
  const ghost_status_word* words() const {
    return region_.as<const ghost_status_word>();
  }

  MappedRegion region_;
};

}  // namespace ghost

#endif  // GHOST_LIB_ABI_STATUS_WORD_REGION_H_
