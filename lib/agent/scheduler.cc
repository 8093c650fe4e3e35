#include "lib/agent/scheduler.h"

#include <cerrno>

namespace ghost {

namespace {

void Bump(std::atomic<uint64_t>& c) {
  c.fetch_add(1, std::memory_order_relaxed);
}

// Associations that race with the thread's own events get ESTALE; after
// this many the thread is left on whatever queue it has (it still works
// if that is the default queue).
constexpr int kAssociateTries = 64;

}  // namespace

void Scheduler::Dispatch(const ghost_msg& msg, int agent_cpu) {
  Bump(stats_.messages);
  if (msg.gtid == 0) {
    DispatchCpuMessage(msg, agent_cpu);
    return;
  }
  if (msg.sw_region != 0 || msg.sw_index >= TaskSlots::kSlots) {
    Bump(stats_.bad);
    return;
  }
  Task* t = tasks_.Get(msg.sw_index, msg.gtid);
  if (t == nullptr) {
    if (msg.type == GHOST_MSG_NEW) {
      // A slot still holding another thread means its last message was
      // lost: that thread is gone.
      if (Task* old = tasks_.Get(msg.sw_index, tasks_.GtidAt(msg.sw_index))) {
        old->state = TaskState::kDeparted;
        OnTaskGone(*old, nullptr, agent_cpu);
        tasks_.Release(old);
      }
      t = tasks_.Claim(msg.sw_index, msg.gtid);
      t->owner = agent_cpu;
    } else {
      // Its NEW went elsewhere or was lost: start from its status word.
      t = Adopt(kernel_.words().Read(msg.sw_index), agent_cpu, nullptr);
      if (t == nullptr || t->gtid != msg.gtid) {
        Bump(stats_.bad);
        return;
      }
    }
  }
  if (msg.seqnum <= t->seq) {
    Bump(stats_.stale);
    return;
  }
  if (msg.seqnum != t->seq + 1 && msg.type != GHOST_MSG_NEW) {
    Bump(stats_.gaps);
  }
  const Transition tr = NextState(t->state, msg.type, msg.flags);
  if (!tr.legal) Bump(stats_.illegal);
  t->seq = msg.seqnum;
  t->state = tr.to;
  t->cpu = msg.cpu;
  t->runtime = msg.runtime;
  t->nice = msg.nice;
  switch (msg.type) {
    case GHOST_MSG_NEW:
    case GHOST_MSG_WAKEUP:
    case GHOST_MSG_BLOCKED:
    case GHOST_MSG_YIELD:
    case GHOST_MSG_PREEMPTED:
    case GHOST_MSG_AFFINITY_CHANGED:
    case GHOST_MSG_PRIORITY_CHANGED:
      OnTaskMessage(*t, msg, agent_cpu);
      break;
    case GHOST_MSG_DEAD:
    case GHOST_MSG_DEPARTED:
      Forget(*t, &msg, agent_cpu);
      break;
    default:
      Bump(stats_.bad);
      break;
  }
}

void Scheduler::DispatchCpuMessage(const ghost_msg& msg, int agent_cpu) {
  // The CPU messages of ABI 2 (enum values, so the version decides); a
  // kernel without them never sends gtid 0.
  switch (msg.type) {
#if GHOST_ABI_VERSION >= 2
    case GHOST_MSG_CPU_TICK:
      CpuTick(msg, agent_cpu);
      return;
    case GHOST_MSG_CPU_BUSY:
      CpuBusy(msg, agent_cpu);
      return;
    case GHOST_MSG_CPU_AVAILABLE:
      CpuAvailable(msg, agent_cpu);
      return;
#endif
    default:
      Bump(stats_.bad);
      return;
  }
}

void Scheduler::Forget(Task& t, const ghost_msg* msg, int agent_cpu) {
  OnTaskGone(t, msg, agent_cpu);
  const uint32_t index = t.sw_index;
  tasks_.Release(&t);
  // EBUSY would mean it is a member again: then it has a NEW coming.
  (void)kernel_.FreeStatusWord(0, index);
}

Task* Scheduler::Adopt(StatusWord w, int agent_cpu, const Channel* channel) {
  if (!w.in_use() || (w.flags & GHOST_SW_F_AGENT)) return nullptr;
  if (w.can_free()) {
    // It left and its last message was lost or never ours.
    (void)kernel_.FreeStatusWord(0, w.index);
    return nullptr;
  }
  Task* t = tasks_.Claim(w.index, w.gtid);
  t->owner = agent_cpu;
  for (int i = 0; channel != nullptr && i < kAssociateTries; ++i) {
    const int err = kernel_.Associate(*channel, w.gtid, w.barrier);
    if (err == 0) break;
    const StatusWord again = kernel_.words().Read(w.index);
    if (err != ESTALE || !again.in_use() || again.gtid != w.gtid ||
        again.can_free()) {
      tasks_.Release(t);  // it left meanwhile
      return nullptr;
    }
    w = again;
  }
  t->seq = w.barrier;
  t->state = StateFromStatusWordFlags(w.flags);
  Bump(stats_.adopted);
  OnTaskDiscovered(*t, TaskState::kNew, agent_cpu);
  return t;
}

void Scheduler::ResyncTask(Task& t, int agent_cpu) {
  const StatusWord w = kernel_.words().Read(t.sw_index);
  if (!w.in_use() || w.gtid != t.gtid) {
    t.state = TaskState::kDeparted;
    OnTaskGone(t, nullptr, agent_cpu);
    tasks_.Release(&t);
    return;
  }
  if (w.barrier == t.seq) return;
  const TaskState before = t.state;
  t.seq = w.barrier;
  t.state = StateFromStatusWordFlags(w.flags);
  if (t.state == TaskState::kDead) {
    Forget(t, nullptr, agent_cpu);
    return;
  }
  OnTaskDiscovered(t, before, agent_cpu);
}

void Scheduler::Resync(int agent_cpu, bool adopt_unknown,
                       const Channel* channel) {
  Bump(stats_.resyncs);
  tasks_.ForEachTask([&](Task* t) {
    if (agent_cpu < 0 || t->owner == agent_cpu) ResyncTask(*t, agent_cpu);
  });
  if (!adopt_unknown) return;
  kernel_.words().ForEachInUse([&](const StatusWord& w) {
    if (tasks_.Get(w.index, w.gtid) == nullptr) Adopt(w, agent_cpu, channel);
  });
}

}  // namespace ghost
