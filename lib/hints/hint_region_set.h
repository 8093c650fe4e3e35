// HintRegionSet: the hint regions an agent was handed, one slot each,
// shared between the thread that receives them (the control server, a CFS
// thread that may allocate and map) and the agent thread that reads them
// (which must not).
//
//   control thread                      agent thread (each round)
//   Offer(fd, pid): check the fd's       Poll(now, apply, forget):
//     seals, map it, check the layout,     adopts offered slots, reads
//     put it in a free slot (OFFERED)      each active one; a region that
//   a slot whose process is gone or        faults is given up (RETIRED)
//     that registers again is CLOSING      after forget(slot) and one line
//                                          on stderr; CLOSING -> RETIRED
//   a RETIRED slot is unmapped and reused by the next Offer.
//
// Every hint the agent applies carries the slot it came from, so a policy
// can forget exactly the hints of a region that went away.
#ifndef GHOST_LIB_HINTS_HINT_REGION_SET_H_
#define GHOST_LIB_HINTS_HINT_REGION_SET_H_

#include <sys/types.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "lib/abi/fd.h"
#include "lib/abi/mapped_region.h"
#include "lib/hints/hint_reader.h"

namespace ghost {

class HintRegionSet {
 public:
  static constexpr int kSlots = 16;

  explicit HintRegionSet(int64_t settle_limit_ns = 1000000000)
      : settle_limit_ns_(settle_limit_ns) {}

  // Control thread. Takes the region in `fd` from process `pid`: the fd
  // must be a memfd sealed against shrinking (F_SEAL_SHRINK), its layout
  // valid. A region `pid` handed over before is replaced.
  absl::Status Offer(Fd fd, pid_t pid);

  // Agent thread. Reads every active region: `apply(slot, hint)` for each
  // changed item, `forget(slot)` once for a region given up (all hints
  // that came from `slot` are void). Returns whether anything was applied
  // or forgotten. No allocation.
  bool Poll(int64_t now_ns,
            absl::FunctionRef<void(int slot, const Hint&)> apply,
            absl::FunctionRef<void(int slot)> forget);

  // Agent thread: every active region is read whole at the next Poll.
  void RescanAll();

  // Regions in use (offered or active), for counters.
  int active() const;
  uint64_t faults() const { return faults_.load(std::memory_order_relaxed); }

 private:
  enum State : int { kFree, kOffered, kActive, kClosing, kRetired };
  struct Slot {
    std::atomic<int> state{kFree};
    pid_t pid = 0;                      // written while FREE/RETIRED
    std::optional<MappedRegion> map;    // by the control thread
    std::optional<HintReader> reader;   // read by the agent once ACTIVE
  };

  const int64_t settle_limit_ns_;
  absl::Mutex offer_mu_;  // one Offer at a time
  std::array<Slot, kSlots> slots_;
  std::atomic<uint64_t> faults_{0};
};

}  // namespace ghost

#endif  // GHOST_LIB_HINTS_HINT_REGION_SET_H_
