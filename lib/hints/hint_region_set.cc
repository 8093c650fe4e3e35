#include "lib/hints/hint_region_set.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "lib/util/errno_status.h"

namespace ghost {
namespace {

bool ProcessGone(pid_t pid) { return kill(pid, 0) != 0 && errno == ESRCH; }

}  // namespace

absl::Status HintRegionSet::Offer(Fd fd, pid_t pid) {
  const int seals = fcntl(fd.get(), F_GET_SEALS);
  if (seals < 0) {
    return ErrnoStatus(errno, "hint region: not a memfd (F_GET_SEALS)");
  }
  if (!(seals & F_SEAL_SHRINK)) {
    return absl::InvalidArgumentError(
        "hint region: seal it against shrinking (F_SEAL_SHRINK) first, or "
        "the agent could fault on it");
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return ErrnoStatus(errno, "hint region");
  if (st.st_size <= 0 || st.st_size > (64 << 20)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "hint region of ", st.st_size, " bytes (1 byte to 64 MiB)"));
  }
  absl::StatusOr<MappedRegion> map = MappedRegion::MapFd(
      fd.get(), st.st_size, MappedRegion::kReadOnly, "hint region");
  if (!map.ok()) return map.status();
  absl::StatusOr<HintReader> reader =
      HintReader::Open(map->data(), map->size(), settle_limit_ns_);
  if (!reader.ok()) return reader.status();

  absl::MutexLock lock(&offer_mu_);
  Slot* free_slot = nullptr;
  for (Slot& s : slots_) {
    const int state = s.state.load(std::memory_order_acquire);
    if ((state == kOffered || state == kActive) &&
        (s.pid == pid || ProcessGone(s.pid))) {
      // Replaced, or its process is gone: the agent lets go of it.
      int expect = state;
      if (!s.state.compare_exchange_strong(expect, kClosing)) {
        // It moved meanwhile (adopted, or given up): look again next time.
      }
    }
  }
  for (Slot& s : slots_) {
    const int state = s.state.load(std::memory_order_acquire);
    if (state == kFree || state == kRetired) {
      free_slot = &s;
      break;
    }
  }
  if (free_slot == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the agent holds ", kSlots, " hint regions already; try again"));
  }
  free_slot->reader.reset();
  free_slot->map = std::move(*map);  // unmaps a retired region
  free_slot->reader.emplace(std::move(*reader));
  free_slot->pid = pid;
  free_slot->state.store(kOffered, std::memory_order_release);
  return absl::OkStatus();
}

bool HintRegionSet::Poll(int64_t now_ns,
                         absl::FunctionRef<void(int, const Hint&)> apply,
                         absl::FunctionRef<void(int)> forget) {
  bool any = false;
  for (int i = 0; i < kSlots; ++i) {
    Slot& s = slots_[i];
    int state = s.state.load(std::memory_order_acquire);
    if (state == kOffered) {
      s.state.compare_exchange_strong(state, kActive,
                                      std::memory_order_acq_rel);
      state = s.state.load(std::memory_order_acquire);
    }
    if (state == kClosing) {
      forget(i);
      s.state.store(kRetired, std::memory_order_release);
      any = true;
      continue;
    }
    if (state != kActive) continue;
    HintReader& r = *s.reader;
    r.Poll(now_ns, [&](const Hint& h) {
      apply(i, h);
      any = true;
    });
    if (r.faulted()) {
      faults_.fetch_add(1, std::memory_order_relaxed);
      // Said once: the region is not read again. A stack buffer and one
      // write, no allocation.
      char line[200];
      const int n = snprintf(line, sizeof(line),
                             "hint region of pid %d given up: %s; its threads "
                             "are scheduled FIFO without hints\n",
                             static_cast<int>(s.pid), r.fault());
      if (n > 0) (void)!write(2, line, n < 200 ? n : 199);
      forget(i);
      int expect = kActive;
      if (!s.state.compare_exchange_strong(expect, kRetired)) {
        s.state.store(kRetired, std::memory_order_release);  // was closing
      }
      any = true;
    }
  }
  return any;
}

void HintRegionSet::RescanAll() {
  for (Slot& s : slots_) {
    if (s.state.load(std::memory_order_acquire) == kActive) {
      s.reader->RequestRescan();
    }
  }
}

int HintRegionSet::active() const {
  int n = 0;
  for (const Slot& s : slots_) {
    const int state = s.state.load(std::memory_order_relaxed);
    n += state == kOffered || state == kActive;
  }
  return n;
}

}  // namespace ghost
