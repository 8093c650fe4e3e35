// RunQueue<T>: an intrusive FIFO of a policy's tasks (the links live in
// the task, RunQueueLinks<T>), so queueing never allocates. Not
// thread-safe: a policy guards each queue with the lock of whoever owns it
// (e.g. a SpinLock per CPU).
//
//   struct MyTask : Task, RunQueueLinks<MyTask> { ... };
//   RunQueue<MyTask> rq;
//   rq.PushBack(&task);
//   MyTask* next = rq.PopFront();
#ifndef GHOST_LIB_AGENT_RUN_QUEUE_H_
#define GHOST_LIB_AGENT_RUN_QUEUE_H_

#include <cstddef>

namespace ghost {

// The links a task needs to be on a RunQueue<T>; `rq` is the queue it is
// on, if any.
template <typename T>
struct RunQueueLinks {
  T* rq_next = nullptr;
  T* rq_prev = nullptr;
  const void* rq = nullptr;

  bool queued() const { return rq != nullptr; }
};

template <typename T>
class RunQueue {
 public:
  RunQueue() = default;
  RunQueue(const RunQueue&) = delete;
  RunQueue& operator=(const RunQueue&) = delete;

  bool empty() const { return head_ == nullptr; }
  size_t size() const { return size_; }
  T* front() const { return head_; }
  static T* Next(const T* t) { return t->rq_next; }

  // `t` must not be on any queue.
  void PushBack(T* t) {
    t->rq = this;
    t->rq_prev = tail_;
    t->rq_next = nullptr;
    (tail_ ? tail_->rq_next : head_) = t;
    tail_ = t;
    ++size_;
  }
  void PushFront(T* t) {
    t->rq = this;
    t->rq_next = head_;
    t->rq_prev = nullptr;
    (head_ ? head_->rq_prev : tail_) = t;
    head_ = t;
    ++size_;
  }

  // Takes `t` off this queue; a no-op if it is on no queue or another one.
  void Remove(T* t) {
    if (t->rq != this) return;
    (t->rq_prev ? t->rq_prev->rq_next : head_) = t->rq_next;
    (t->rq_next ? t->rq_next->rq_prev : tail_) = t->rq_prev;
    t->rq_next = t->rq_prev = nullptr;
    t->rq = nullptr;
    --size_;
  }

  T* PopFront() {
    T* t = head_;
    if (t != nullptr) Remove(t);
    return t;
  }

  // The first task for which `pred(T*)` holds, taken off the queue.
  template <typename Pred>
  T* PopFirst(Pred pred) {
    for (T* t = head_; t != nullptr; t = t->rq_next) {
      if (pred(t)) {
        Remove(t);
        return t;
      }
    }
    return nullptr;
  }

 private:
  T* head_ = nullptr;
  T* tail_ = nullptr;
  size_t size_ = 0;
};

}  // namespace ghost

#endif  // GHOST_LIB_AGENT_RUN_QUEUE_H_
