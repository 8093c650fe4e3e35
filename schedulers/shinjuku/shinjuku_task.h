// ShinjukuTask: what the Shinjuku policy keeps about each thread: the FIFO
// policies' task (run queue links, refused CPUs, latch time) and what the
// thread's application said in its hint region.
#ifndef GHOST_SCHEDULERS_SHINJUKU_SHINJUKU_TASK_H_
#define GHOST_SCHEDULERS_SHINJUKU_SHINJUKU_TASK_H_

#include <cstdint>
#include <utility>

#include "schedulers/fifo/common/fifo_task.h"

namespace ghost::shinjuku {

// Classes 0 (first) to 3; a thread without a hint is in this one.
inline constexpr uint32_t kDefaultQos = 2;

struct ShinjukuTask : fifo::FifoTask {
  // `base`: the FIFO task sized for the machine (FifoTask::Blank).
  explicit ShinjukuTask(fifo::FifoTask base = fifo::FifoTask())
      : fifo::FifoTask(std::move(base)) {}

  uint32_t qos = kDefaultQos;  // its run queue
  bool idle = false;           // its hint says it has no work
  int hint_slot = -1;          // the region its hint came from (-1: none)
  uint32_t work_class = 0;     // from the hint (kept, not used to decide)
  uint64_t deadline_ns = 0;    // from the hint (kept, not used to decide)
  int64_t parked_ns = 0;       // when it was parked for being idle
  bool from_park = false;      // run from the park (limit passed), idle
  // Our commit is taking its CPU; on PREEMPTED, go to the front of its
  // class (a higher class took it) rather than the back (its slice ended).
  bool front_on_preempt = false;
};

}  // namespace ghost::shinjuku

#endif  // GHOST_SCHEDULERS_SHINJUKU_SHINJUKU_TASK_H_
