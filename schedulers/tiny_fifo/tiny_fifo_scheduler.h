// TinyFifoScheduler: the smallest complete policy, the one
// docs/writing-a-scheduler.md walks through. One agent on one CPU runs the
// enclave's threads first come, first served, each until it blocks or
// yields. Real agents use the FIFO schedulers in schedulers/fifo/.
#ifndef GHOST_SCHEDULERS_TINY_FIFO_TINY_FIFO_SCHEDULER_H_
#define GHOST_SCHEDULERS_TINY_FIFO_TINY_FIFO_SCHEDULER_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lib/agent/agent_group.h"
#include "lib/agent/policy.h"
#include "lib/agent/run_queue.h"
#include "lib/agent/task.h"
#include "lib/agent/txn.h"

namespace ghost {

// What the policy keeps about each thread: its place in the run queue,
// and whether our CPU refused it.
struct TinyTask : Task, RunQueueLinks<TinyTask> {
  // A commit failed CPU_NOT_ALLOWED (our CPU is outside its affinity):
  // skipped until its affinity changes.
  bool refused = false;
};

class TinyFifoScheduler final : public PolicyFor<TinyTask> {
 public:
  TinyFifoScheduler(KernelInterface& kernel, int cpu)
      : PolicyFor<TinyTask>(kernel, TinyTask(), absl::MakeConstSpan(&cpu, 1)),
        cpu_(cpu) {}

  // The policy of `ghost_agent --policy=tiny_fifo`: one CPU only.
  static absl::StatusOr<std::unique_ptr<Policy>> Make(KernelInterface& kernel,
                                                      const PolicyArgs& args) {
    if (args.cpus.size() != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("tiny_fifo schedules one CPU, and the enclave has ",
                       args.cpus.size(), ": give it one (e.g. --cpus=1)"));
    }
    return std::make_unique<TinyFifoScheduler>(kernel, args.cpus[0]);
  }

  // One queue: the enclave's default, waking our CPU's agent.
  absl::Status Init() override {
    absl::StatusOr<Channel*> ch = kernel().CreateChannel(1024, true);
    if (!ch.ok()) return ch.status();
    channel_ = *ch;
    const int wake[] = {cpu_};
    return kernel().SetChannelWakeup(*channel_, wake);
  }

  void AllAttached() override { Discover(cpu_, *channel_); }

  void Round(int) override {
    const uint32_t barrier = AgentBarrier(cpu_);
    ghost_msg msg;
    while (channel_->Pop(&msg)) Dispatch(msg, cpu_);
    if (channel_->TakeOverflow()) Resync(cpu_, true, nullptr);
    // The oldest thread that may run here, if our CPU is free.
    TinyTask* next =
        current_ != nullptr
            ? nullptr
            : rq_.PopFirst([](TinyTask* t) { return !t->refused; });
    if (next == nullptr) {
      (void)kernel().BlockAgent(barrier);
      return;
    }
    const int32_t result =
        CommitOne(kernel(), {.cpu = cpu_,
                             .gtid = next->gtid,
                             .task_barrier = next->seq,
                             .agent_barrier = barrier,
                             .run_flags = GHOST_RUN_F_WAKE_ON_BLOCK |
                                          GHOST_RUN_F_WAKE_ON_YIELD |
                                          GHOST_RUN_F_WAKE_ON_PREEMPT});
    txns_.Count(result);
    switch (result) {
      case GHOST_TXN_COMPLETE:
        current_ = next;
        next->state = TaskState::kRunning;
        (void)kernel().BlockAgent(barrier);  // let it run
        return;
      // A message about the thread is on its way, and says what to do.
      case GHOST_TXN_TARGET_NOT_RUNNABLE:  // it blocked: WAKEUP will come
        next->state = TaskState::kBlocked;
        return;
      case GHOST_TXN_TARGET_ONCPU:  // it runs elsewhere: its leaving will say
        next->state = TaskState::kRunning;
        return;
      case GHOST_TXN_TARGET_NOT_FOUND:  // NEW, DEAD or DEPARTED will come
        return;
      // No message will come: keep the thread, or it is lost.
      case GHOST_TXN_CPU_NOT_ALLOWED:  // skipped until AFFINITY_CHANGED
        next->refused = true;
        rq_.PushBack(next);
        return;
      default:  // stale barriers, no agent, a failed call: wait, try again
        rq_.PushFront(next);
        (void)kernel().BlockAgent(barrier);
        return;
    }
  }

 protected:
  void TaskNew(TinyTask& t, const ghost_msg&, int) override {
    if (t.state == TaskState::kRunnable) rq_.PushBack(&t);
  }
  void TaskWakeup(TinyTask& t, const ghost_msg&, int) override {
    rq_.PushBack(&t);
  }
  void TaskBlocked(TinyTask& t, const ghost_msg&, int) override { OffCpu(t); }
  void TaskYield(TinyTask& t, const ghost_msg&, int) override {
    OffCpu(t);
    rq_.PushBack(&t);
  }
  void TaskPreempted(TinyTask& t, const ghost_msg&, int) override {
    OffCpu(t);
    rq_.PushFront(&t);
  }
  void TaskGone(TinyTask& t, const ghost_msg*, int) override {
    OffCpu(t);
    rq_.Remove(&t);
  }
  void TaskDiscovered(TinyTask& t, TaskState, int) override {
    rq_.Remove(&t);
    if (t.state == TaskState::kRunnable) rq_.PushBack(&t);
  }
  void TaskAffinityChanged(TinyTask& t, const ghost_msg&, int) override {
    t.refused = false;  // our CPU may be allowed now: try it again
  }

 private:
  void OffCpu(TinyTask& t) {
    if (current_ == &t) current_ = nullptr;
  }

  const int cpu_;
  Channel* channel_ = nullptr;
  RunQueue<TinyTask> rq_;
  TinyTask* current_ = nullptr;
};

}  // namespace ghost

#endif  // GHOST_SCHEDULERS_TINY_FIFO_TINY_FIFO_SCHEDULER_H_
