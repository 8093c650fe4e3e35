#include "lib/hints/hint_writer.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "lib/abi/ghost_run.h"
#include "lib/util/errno_status.h"

namespace ghost {
namespace {

uint32_t NextPowerOfTwo(uint32_t n) {
  uint32_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

template <typename T>
std::atomic_ref<T> Atomic(T& x) {
  return std::atomic_ref<T>(x);
}

}  // namespace

absl::StatusOr<std::unique_ptr<HintWriter>> HintWriter::Create(
    uint32_t nr_items, uint32_t ring_entries) {
  if (nr_items == 0 || nr_items > 16384) {
    return absl::InvalidArgumentError(
        absl::StrCat("a hint region holds 1 to 16384 items, not ", nr_items));
  }
  if (ring_entries == 0) ring_entries = NextPowerOfTwo(2 * nr_items);
  if (ring_entries > 65536 || (ring_entries & (ring_entries - 1)) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "hint ring of ", ring_entries, ": a power of two up to 65536"));
  }
  const size_t items_offset = sizeof(ghost_hint_header);
  const size_t ring_offset =
      items_offset + size_t{nr_items} * sizeof(ghost_hint_item);
  const size_t size = ring_offset + size_t{ring_entries} * sizeof(uint64_t);
  Fd fd(memfd_create("ghost-hints", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd.valid()) return ErrnoStatus(errno, "memfd_create for hints");
  if (ftruncate(fd.get(), size) != 0) {
    return ErrnoStatus(errno, "size the hint region");
  }
  // The agent maps it: a region that could shrink under it would fault.
  if (fcntl(fd.get(), F_ADD_SEALS,
            F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    return ErrnoStatus(errno, "seal the hint region");
  }
  absl::StatusOr<MappedRegion> region =
      MappedRegion::MapFd(fd.get(), size, MappedRegion::kReadWrite, "hints");
  if (!region.ok()) return region.status();
  auto* h = region->as<ghost_hint_header>();
  h->header_size = sizeof(ghost_hint_header);
  h->item_size = sizeof(ghost_hint_item);
  h->nr_items = nr_items;
  h->items_offset = items_offset;
  h->ring_offset = ring_offset;
  h->ring_entries = ring_entries;
  h->version = GHOST_HINT_VERSION;
  Atomic(h->magic).store(GHOST_HINT_MAGIC, std::memory_order_release);
  return std::unique_ptr<HintWriter>(
      new HintWriter(std::move(fd), std::move(*region), nr_items,
                     ring_entries));
}

HintWriter::HintWriter(Fd fd, MappedRegion region, uint32_t nr_items,
                       uint32_t ring_entries)
    : fd_(std::move(fd)),
      region_(std::move(region)),
      nr_items_(nr_items),
      ring_entries_(ring_entries),
      values_(nr_items),
      claimed_(nr_items, false) {}

ghost_hint_item* HintWriter::Item(uint32_t i) const {
  return reinterpret_cast<ghost_hint_item*>(
             static_cast<char*>(region_.data()) + sizeof(ghost_hint_header)) +
         i;
}

absl::StatusOr<uint32_t> HintWriter::Claim(uint64_t gtid,
                                           const HintValues& values) {
  uint32_t item = nr_items_;
  {
    absl::MutexLock lock(&mu_);
    for (uint32_t i = 0; i < nr_items_; ++i) {
      if (!claimed_[i]) {
        claimed_[i] = true;
        item = i;
        break;
      }
    }
  }
  if (item == nr_items_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("all ", nr_items_, " hint items are taken"));
  }
  values_[item] = values;
  Write(item, GHOST_HINT_F_VALID | (values.idle ? GHOST_HINT_F_IDLE : 0), gtid,
        values);
  return item;
}

absl::StatusOr<uint32_t> HintWriter::ClaimForCaller(uint32_t qos) {
  absl::StatusOr<uint64_t> gtid = GetGtid(0);
  if (!gtid.ok()) return gtid.status();
  return Claim(*gtid, HintValues{.qos = qos});
}

void HintWriter::Release(uint32_t item) {
  if (item >= nr_items_) return;
  Write(item, 0, 0, HintValues{});
  absl::MutexLock lock(&mu_);
  claimed_[item] = false;
}

void HintWriter::Set(uint32_t item, const HintValues& values) {
  if (item >= nr_items_) return;
  values_[item] = values;
  Write(item, GHOST_HINT_F_VALID | (values.idle ? GHOST_HINT_F_IDLE : 0),
        Atomic(Item(item)->gtid).load(std::memory_order_relaxed), values);
}

void HintWriter::SetIdle(uint32_t item, bool idle) {
  if (item >= nr_items_) return;
  HintValues v = values_[item];
  v.idle = idle;
  Set(item, v);
}

void HintWriter::Write(uint32_t item, uint32_t flags, uint64_t gtid,
                       const HintValues& v) {
  ghost_hint_item* it = Item(item);
  const uint32_t seq = Atomic(it->seq).load(std::memory_order_relaxed);
  Atomic(it->seq).store(seq + 1, std::memory_order_relaxed);  // odd
  std::atomic_thread_fence(std::memory_order_release);
  Atomic(it->flags).store(flags, std::memory_order_relaxed);
  Atomic(it->gtid).store(gtid, std::memory_order_relaxed);
  Atomic(it->qos).store(v.qos, std::memory_order_relaxed);
  Atomic(it->work_class).store(v.work_class, std::memory_order_relaxed);
  Atomic(it->deadline_ns).store(v.deadline_ns, std::memory_order_relaxed);
  Atomic(it->seq).store(seq + 2, std::memory_order_release);  // even
  Push(item);
}

void HintWriter::Push(uint32_t item) {
  auto* h = region_.as<ghost_hint_header>();
  const uint64_t pos =
      Atomic(h->ring_head).fetch_add(1, std::memory_order_acq_rel);
  // Our own geometry, not the header's: the header is shared memory.
  auto* ring = reinterpret_cast<uint64_t*>(
      static_cast<char*>(region_.data()) + sizeof(ghost_hint_header) +
      size_t{nr_items_} * sizeof(ghost_hint_item));
  Atomic(ring[pos & (ring_entries_ - 1)])
      .store(((pos + 1) << 32) | item, std::memory_order_release);
}

}  // namespace ghost
