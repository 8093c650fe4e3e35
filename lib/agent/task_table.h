// TaskTable<T>: every task an agent knows, as the policy's own task type
// T (derived from Task), in a pool sized once for the most threads an
// enclave can hold (one slot per status word), indexed by the status word
// index every message carries. Finding, adding and removing a task is an
// array access: no allocation, no hashing, no lock.
//
// A fresh task is a copy of the `blank` the table was made with (e.g. a
// task whose CPU set is sized to the machine): copying into a slot of the
// same shape reuses its storage, so Claim does not allocate either.
//
// The Scheduler base reaches the table through TaskSlots, which knows
// only Task; the policy sees its T.
//
// A slot belongs to the agent thread that owns the task (the one reading
// its messages); Claim and Release are done by that thread.
#ifndef GHOST_LIB_AGENT_TASK_TABLE_H_
#define GHOST_LIB_AGENT_TASK_TABLE_H_

#include <atomic>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "lib/agent/task.h"
#include "lib/uapi/linux/ghost.h"

namespace ghost {

// A task table as the framework sees it.
class TaskSlots {
 public:
  static constexpr uint32_t kSlots = GHOST_SW_REGION_WORDS;

  virtual ~TaskSlots() = default;

  // The task of `gtid` at status word `sw_index`, or nullptr.
  virtual Task* Get(uint32_t sw_index, uint64_t gtid) = 0;
  // The gtid the slot at `sw_index` holds (0: empty).
  virtual uint64_t GtidAt(uint32_t sw_index) const = 0;
  // A fresh task for `gtid` at `sw_index` (which must be < kSlots),
  // replacing whatever the slot held.
  virtual Task* Claim(uint32_t sw_index, uint64_t gtid) = 0;
  // Empties the slot of `t` (which must be on no run queue).
  virtual void Release(Task* t) = 0;
  // Calls `fn` for every task in the table.
  virtual void ForEachTask(absl::FunctionRef<void(Task*)> fn) = 0;

  // Tasks in the table.
  int live() const { return live_.load(std::memory_order_relaxed); }

 protected:
  std::atomic<int> live_{0};
};

template <typename T>
class TaskTable final : public TaskSlots {
 public:
  explicit TaskTable(T blank = T())
      : blank_(std::move(blank)), slots_(kSlots, blank_) {}
  TaskTable(const TaskTable&) = delete;
  TaskTable& operator=(const TaskTable&) = delete;

  T* Get(uint32_t sw_index, uint64_t gtid) override {
    if (sw_index >= kSlots) return nullptr;
    T* t = &slots_[sw_index];
    return t->gtid == gtid && gtid != 0 ? t : nullptr;
  }

  uint64_t GtidAt(uint32_t sw_index) const override {
    return sw_index < kSlots ? slots_[sw_index].gtid : 0;
  }

  T* Claim(uint32_t sw_index, uint64_t gtid) override {
    T* t = &slots_[sw_index];
    if (t->gtid == 0) live_.fetch_add(1, std::memory_order_relaxed);
    *t = blank_;
    t->gtid = gtid;
    t->sw_index = sw_index;
    return t;
  }

  void Release(Task* t) override {
    if (t->gtid != 0) live_.fetch_sub(1, std::memory_order_relaxed);
    *static_cast<T*>(t) = blank_;
  }

  void ForEachTask(absl::FunctionRef<void(Task*)> fn) override {
    ForEach([&](T* t) { fn(t); });
  }

  // Calls `fn(T*)` for every task in the table.
  template <typename Fn>
  void ForEach(Fn fn) {
    for (T& t : slots_) {
      if (t.gtid != 0) fn(&t);
    }
  }

 private:
  const T blank_;
  std::vector<T> slots_;
};

}  // namespace ghost

#endif  // GHOST_LIB_AGENT_TASK_TABLE_H_
