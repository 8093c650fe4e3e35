// GtidIndex: finds a task's status word index by its gtid, for what names
// threads by gtid rather than by status word (an application's hints). An
// open-addressing table sized once for every slot of a task table, with
// linear probing and backward-shift deletion: no allocation, no
// tombstones, so lookups stay short however long the agent runs.
#ifndef GHOST_LIB_AGENT_GTID_INDEX_H_
#define GHOST_LIB_AGENT_GTID_INDEX_H_

#include <cstdint>
#include <vector>

namespace ghost {

class GtidIndex {
 public:
  static constexpr uint32_t kNone = ~0u;

  // Holds up to `capacity` gtids (the table is twice that, a power of two).
  explicit GtidIndex(uint32_t capacity) {
    uint32_t n = 2;
    while (n < 2 * capacity) n <<= 1;
    mask_ = n - 1;
    entries_.assign(n, Entry{});
  }

  // Records `gtid` (not 0) at `value`; replaces an older value. False if
  // full.
  bool Put(uint64_t gtid, uint32_t value) {
    for (uint32_t i = Home(gtid), n = 0; n <= mask_; i = (i + 1) & mask_, ++n) {
      if (entries_[i].gtid == gtid || entries_[i].gtid == 0) {
        size_ += entries_[i].gtid == 0;
        entries_[i] = {gtid, value};
        return true;
      }
    }
    return false;
  }

  uint32_t Get(uint64_t gtid) const {
    for (uint32_t i = Home(gtid);; i = (i + 1) & mask_) {
      if (entries_[i].gtid == gtid) return entries_[i].value;
      if (entries_[i].gtid == 0) return kNone;
    }
  }

  void Erase(uint64_t gtid) {
    uint32_t i = Home(gtid);
    while (entries_[i].gtid != gtid) {
      if (entries_[i].gtid == 0) return;
      i = (i + 1) & mask_;
    }
    // Shift later entries of the probe run back into the hole.
    for (uint32_t j = (i + 1) & mask_; entries_[j].gtid != 0;
         j = (j + 1) & mask_) {
      const uint32_t home = Home(entries_[j].gtid);
      // Entry j may fill hole i if its home is not in (i, j].
      if (((j - home) & mask_) >= ((j - i) & mask_)) {
        entries_[i] = entries_[j];
        i = j;
      }
    }
    entries_[i] = Entry{};
    --size_;
  }

  uint32_t size() const { return size_; }

 private:
  struct Entry {
    uint64_t gtid = 0;
    uint32_t value = 0;
  };
  uint32_t Home(uint64_t gtid) const {
    return static_cast<uint32_t>((gtid * 0x9e3779b97f4a7c15ull) >> 32) & mask_;
  }

  uint32_t mask_ = 0;
  uint32_t size_ = 0;
  std::vector<Entry> entries_;
};

}  // namespace ghost

#endif  // GHOST_LIB_AGENT_GTID_INDEX_H_
