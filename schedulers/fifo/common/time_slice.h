// TimeSlice: the turns of a FIFO policy's threads on their CPUs. A thread
// that gets a CPU from its run queue begins a turn; the turn ends when it
// blocks, yields or is sent to the back of the queue. A thread that loses
// its CPU for a moment (its agent woke on that CPU, a higher class ran)
// keeps its turn and resumes it. Once a turn has lasted `slice`, the
// thread goes to the back if anything waits for a CPU, so no runnable
// thread waits for ever behind threads that never block (the kernel's
// watchdog would end the enclave).
//
//   TimeSlice slices(absl::Milliseconds(3));
//   slices.Begin(t, now);                   // latched from the queue
//   if (slices.Over(t, now) && others_wait) ...  // to the back, next one
//   slices.End(t);                          // blocked, yielded, queued back
//
// Turns are kept by status word index (one slot per thread the enclave can
// hold), so a policy's Task needs no field for them; each slot is touched
// only by the agent thread that owns the task.
#ifndef GHOST_SCHEDULERS_FIFO_COMMON_TIME_SLICE_H_
#define GHOST_SCHEDULERS_FIFO_COMMON_TIME_SLICE_H_

#include <cstdint>
#include <vector>

#include "absl/time/time.h"
#include "lib/agent/task.h"
#include "lib/agent/task_table.h"

namespace ghost::fifo {

// The slice both FIFO policies use unless told otherwise: long enough that
// an agent's decision (tens of microseconds) is a small part of it, short
// enough that a lock holder queued behind CPU-bound threads runs soon.
inline constexpr absl::Duration kDefaultSlice = absl::Milliseconds(4);

class TimeSlice {
 public:
  // A zero `slice` never ends a turn (run until it blocks or yields).
  explicit TimeSlice(absl::Duration slice)
      : slice_ns_(absl::ToInt64Nanoseconds(slice)),
        start_(TaskTable::kSlots, 0) {}

  bool enabled() const { return slice_ns_ > 0; }
  int64_t slice_ns() const { return slice_ns_; }

  // `t` got a CPU at `now`: a turn begins unless it is resuming one.
  void Begin(const Task& t, int64_t now) {
    int64_t& s = start_[t.sw_index];
    if (s == 0) s = now > 0 ? now : 1;
  }

  // Its turn is over (blocked, yielded, queued at the back, gone).
  void End(const Task& t) { start_[t.sw_index] = 0; }

  // Whether `t` is in a turn (it lost its CPU only for a moment).
  bool InTurn(const Task& t) const { return start_[t.sw_index] != 0; }

  // Whether `t` has had its slice: in a turn that began `slice` ago.
  bool Over(const Task& t, int64_t now) const {
    const int64_t s = start_[t.sw_index];
    return enabled() && s != 0 && now - s >= slice_ns_;
  }

 private:
  const int64_t slice_ns_;
  std::vector<int64_t> start_;  // by status word index; 0: not in a turn
};

}  // namespace ghost::fifo

#endif  // GHOST_SCHEDULERS_FIFO_COMMON_TIME_SLICE_H_
