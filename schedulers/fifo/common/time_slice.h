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
// A turn's start is the task's own (FifoTask::turn_start_ns), touched only
// by the agent thread that owns the task.
#ifndef GHOST_SCHEDULERS_FIFO_COMMON_TIME_SLICE_H_
#define GHOST_SCHEDULERS_FIFO_COMMON_TIME_SLICE_H_

#include <cstdint>

#include "absl/time/time.h"
#include "schedulers/fifo/common/fifo_task.h"

namespace ghost::fifo {

// The slice both FIFO policies use unless told otherwise: long enough that
// an agent's decision (tens of microseconds) is a small part of it, short
// enough that a lock holder queued behind CPU-bound threads runs soon.
inline constexpr absl::Duration kDefaultSlice = absl::Milliseconds(4);

class TimeSlice {
 public:
  // A zero `slice` never ends a turn (run until it blocks or yields).
  explicit TimeSlice(absl::Duration slice)
      : slice_ns_(absl::ToInt64Nanoseconds(slice)) {}

  bool enabled() const { return slice_ns_ > 0; }
  int64_t slice_ns() const { return slice_ns_; }

  // `t` got a CPU at `now`: a turn begins unless it is resuming one.
  void Begin(FifoTask& t, int64_t now) const {
    if (t.turn_start_ns == 0) t.turn_start_ns = now > 0 ? now : 1;
  }

  // Its turn is over (blocked, yielded, queued at the back, gone).
  void End(FifoTask& t) const { t.turn_start_ns = 0; }

  // Whether `t` is in a turn (it lost its CPU only for a moment).
  bool InTurn(const FifoTask& t) const { return t.turn_start_ns != 0; }

  // Whether `t` has had its slice: in a turn that began `slice` ago.
  bool Over(const FifoTask& t, int64_t now) const {
    return enabled() && t.turn_start_ns != 0 &&
           now - t.turn_start_ns >= slice_ns_;
  }

 private:
  const int64_t slice_ns_;
};

}  // namespace ghost::fifo

#endif  // GHOST_SCHEDULERS_FIFO_COMMON_TIME_SLICE_H_
