// RunQueue: an intrusive FIFO of Tasks (links live in the Task), so
// queueing never allocates. Not thread-safe: a policy guards each queue
// with the lock of whoever owns it (e.g. a SpinLock per CPU).
//
//   RunQueue rq;
//   rq.PushBack(&task);
//   Task* next = rq.PopFront();
#ifndef GHOST_LIB_AGENT_RUN_QUEUE_H_
#define GHOST_LIB_AGENT_RUN_QUEUE_H_

#include <cstddef>

#include "lib/agent/task.h"

namespace ghost {

class RunQueue {
 public:
  RunQueue() = default;
  RunQueue(const RunQueue&) = delete;
  RunQueue& operator=(const RunQueue&) = delete;

  bool empty() const { return head_ == nullptr; }
  size_t size() const { return size_; }
  Task* front() const { return head_; }
  static Task* Next(const Task* t) { return t->rq_next; }

  // `t` must not be on any queue.
  void PushBack(Task* t) {
    t->rq = this;
    t->rq_prev = tail_;
    t->rq_next = nullptr;
    (tail_ ? tail_->rq_next : head_) = t;
    tail_ = t;
    ++size_;
  }
  void PushFront(Task* t) {
    t->rq = this;
    t->rq_next = head_;
    t->rq_prev = nullptr;
    (head_ ? head_->rq_prev : tail_) = t;
    head_ = t;
    ++size_;
  }

  // Takes `t` off this queue; a no-op if it is on no queue or another one.
  void Remove(Task* t) {
    if (t->rq != this) return;
    (t->rq_prev ? t->rq_prev->rq_next : head_) = t->rq_next;
    (t->rq_next ? t->rq_next->rq_prev : tail_) = t->rq_prev;
    t->rq_next = t->rq_prev = nullptr;
    t->rq = nullptr;
    --size_;
  }

  Task* PopFront() {
    Task* t = head_;
    if (t != nullptr) Remove(t);
    return t;
  }

  // The first task for which `pred(Task*)` holds, taken off the queue.
  template <typename Pred>
  Task* PopFirst(Pred pred) {
    for (Task* t = head_; t != nullptr; t = t->rq_next) {
      if (pred(t)) {
        Remove(t);
        return t;
      }
    }
    return nullptr;
  }

 private:
  Task* head_ = nullptr;
  Task* tail_ = nullptr;
  size_t size_ = 0;
};

}  // namespace ghost

#endif  // GHOST_LIB_AGENT_RUN_QUEUE_H_
