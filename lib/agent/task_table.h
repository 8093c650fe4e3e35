// TaskTable: every Task an agent knows, in a pool sized once for the most
// threads an enclave can hold (one slot per status word), indexed by the
// status word index every message carries. Finding, adding and removing a
// task is an array access: no allocation, no hashing, no lock.
//
// A slot belongs to the agent thread that owns the task (the one reading
// its messages); Claim and Release are done by that thread.
#ifndef GHOST_LIB_AGENT_TASK_TABLE_H_
#define GHOST_LIB_AGENT_TASK_TABLE_H_

#include <atomic>
#include <cstdint>
#include <vector>

#include "lib/agent/task.h"
#include "lib/uapi/linux/ghost.h"

namespace ghost {

class TaskTable {
 public:
  static constexpr uint32_t kSlots = GHOST_SW_REGION_WORDS;

  TaskTable() : slots_(kSlots) {}
  TaskTable(const TaskTable&) = delete;
  TaskTable& operator=(const TaskTable&) = delete;

  // The task of `gtid` at status word `sw_index`, or nullptr.
  Task* Get(uint32_t sw_index, uint64_t gtid) {
    if (sw_index >= kSlots) return nullptr;
    Task* t = &slots_[sw_index];
    return t->gtid == gtid && gtid != 0 ? t : nullptr;
  }

  // The gtid the slot at `sw_index` holds (0: empty).
  uint64_t GtidAt(uint32_t sw_index) const {
    return sw_index < kSlots ? slots_[sw_index].gtid : 0;
  }

  // A fresh task for `gtid` at `sw_index` (which must be < kSlots),
  // replacing whatever the slot held.
  Task* Claim(uint32_t sw_index, uint64_t gtid) {
    Task* t = &slots_[sw_index];
    if (t->gtid == 0) live_.fetch_add(1, std::memory_order_relaxed);
    *t = Task{};
    t->gtid = gtid;
    t->sw_index = sw_index;
    return t;
  }

  // Empties the slot of `t` (which must be on no run queue).
  void Release(Task* t) {
    if (t->gtid != 0) live_.fetch_sub(1, std::memory_order_relaxed);
    *t = Task{};
  }

  // Tasks in the table.
  int live() const { return live_.load(std::memory_order_relaxed); }

  // Calls `fn(Task*)` for every task in the table.
  template <typename Fn>
  void ForEach(Fn fn) {
    for (Task& t : slots_) {
      if (t.gtid != 0) fn(&t);
    }
  }

 private:
  std::vector<Task> slots_;
  std::atomic<int> live_{0};
};

}  // namespace ghost

#endif  // GHOST_LIB_AGENT_TASK_TABLE_H_
