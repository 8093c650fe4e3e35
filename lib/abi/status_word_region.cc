#include "lib/abi/status_word_region.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace ghost {

namespace {

template <typename T>
T Load(const T& field, std::memory_order order = std::memory_order_relaxed) {
  return std::atomic_ref<T>(const_cast<T&>(field)).load(order);
}

}  // namespace

absl::StatusOr<StatusWordRegion> StatusWordRegion::Map(
    const std::string& enclave_dir) {
  absl::StatusOr<MappedRegion> region = MappedRegion::MapFile(
      absl::StrCat(enclave_dir, "/sw_regions/sw_0"), MappedRegion::kReadOnly,
      GHOST_SW_REGION_WORDS * sizeof(ghost_status_word));
  if (!region.ok()) return region.status();
  return StatusWordRegion(std::move(*region));
}

StatusWord StatusWordRegion::Read(uint32_t index) const {
  const ghost_status_word& w = words()[index];
  StatusWord out;
  out.index = index;
  // The kernel changes the flags before it queues the message of an
  // event, and writes the barrier after. So the barrier comes first: flags
  // read after barrier b are at least as new as message b, and a newer
  // event they already show is message b+1, which an association at b
  // either gets (ESTALE) or receives. Flags first could pair "blocked"
  // with the barrier of the WAKEUP that followed, and lose the thread.
  // A barrier that moved meanwhile is read again.
  for (;;) {
    const uint32_t before = Load(w.barrier, std::memory_order_acquire);
    // The kernel sets INUSE after the other fields (release order).
    out.flags = Load(w.flags, std::memory_order_acquire);
    out.gtid = Load(w.gtid);
    out.switch_time = Load(w.switch_time);
    out.runtime = Load(w.runtime);
    out.barrier = Load(w.barrier, std::memory_order_acquire);
    if (out.barrier == before) return out;
  }
}

std::optional<StatusWord> StatusWordRegion::Find(uint64_t gtid) const {
  for (uint32_t i = 0; i < GHOST_SW_REGION_WORDS; ++i) {
    StatusWord w = Read(i);
    if (w.in_use() && w.gtid == gtid) return w;
  }
  return std::nullopt;
}

std::vector<StatusWord> StatusWordRegion::InUse() const {
  std::vector<StatusWord> out;
  for (uint32_t i = 0; i < GHOST_SW_REGION_WORDS; ++i) {
    StatusWord w = Read(i);
    if (w.in_use()) out.push_back(w);
  }
  return out;
}

}  // namespace ghost
