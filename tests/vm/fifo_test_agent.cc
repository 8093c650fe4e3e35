#include "tests/vm/fifo_test_agent.h"

#include <sched.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lib/ghost_run.h"
#include "lib/message_ring.h"

namespace ghost::testing {

constexpr uint32_t kRunFlags = GHOST_RUN_F_WAKE_ON_BLOCK |
                               GHOST_RUN_F_WAKE_ON_YIELD |
                               GHOST_RUN_F_WAKE_ON_PREEMPT;

FifoTestAgent::FifoTestAgent(const Enclave& enclave, int cpu)
    : enclave_(enclave), cpu_(cpu) {}

absl::StatusOr<std::unique_ptr<FifoTestAgent>> FifoTestAgent::Start(
    const Enclave& enclave, int cpu) {
  std::unique_ptr<FifoTestAgent> agent(new FifoTestAgent(enclave, cpu));
  absl::StatusOr<Fd> dir = OpenEnclaveDir(enclave.dir());
  if (!dir.ok()) return dir.status();
  agent->dir_ = std::move(*dir);
  absl::StatusOr<MessageQueue> q = MessageQueue::Create(
      agent->dir_.get(), 4096, MessageQueue::kDefault);
  if (!q.ok()) return q.status();
  agent->queue_ = std::make_unique<MessageQueue>(std::move(*q));
  const int wake[] = {cpu};
  if (absl::Status s = agent->queue_->SetWakeupCpus(wake); !s.ok()) return s;
  // Its CPU's messages too (CPU_BUSY, CPU_AVAILABLE, CPU_TICK).
  if (absl::Status s = agent->queue_->AssociateCpu(cpu); !s.ok()) return s;
  absl::StatusOr<CpuDataRegion> cpu_data = CpuDataRegion::Map(enclave.dir());
  if (!cpu_data.ok()) return cpu_data.status();
  agent->cpu_data_ = std::make_unique<CpuDataRegion>(std::move(*cpu_data));
  absl::StatusOr<StatusWordRegion> words = StatusWordRegion::Map(enclave.dir());
  if (!words.ok()) return words.status();
  agent->words_ = std::make_unique<StatusWordRegion>(std::move(*words));

  agent->thread_ = std::thread([a = agent.get()] { a->Run(); });
  while (agent->attached_.load() == 0) absl::SleepFor(absl::Milliseconds(1));
  if (agent->attached_.load() < 0) {
    agent->thread_.join();
    absl::MutexLock lock(&agent->mu_);
    return absl::InternalError(absl::StrCat(
        "the agent could not attach: ",
        agent->problems_.empty() ? "" : agent->problems_.back()));
  }
  return agent;
}

FifoTestAgent::~FifoTestAgent() {
  stop_.store(true);
  if (attached_.load() > 0) (void)PingAgent(cpu_);
  if (thread_.joinable()) thread_.join();
}

FifoTestAgent::Counters FifoTestAgent::counters() {
  absl::MutexLock lock(&mu_);
  return counters_;
}

std::vector<std::string> FifoTestAgent::problems() {
  absl::MutexLock lock(&mu_);
  return problems_;
}

void FifoTestAgent::Run() {
  absl::StatusOr<uint32_t> sw = AttachAgent(dir_.get(), cpu_);
  if (!sw.ok()) {
    absl::MutexLock lock(&mu_);
    problems_.push_back(sw.status().ToString());
    attached_.store(-1);
    return;
  }
  sw_index_ = *sw;
  attached_.store(1);
  while (!stop_.load()) ScheduleOrBlock();
  // Leaving ghost detaches the agent.
  struct sched_param param = {.sched_priority = 0};
  sched_setscheduler(0, SCHED_OTHER, &param);
}

// One round: read the barrier, consume every message, then run the next
// thread or sleep until something happens.
void FifoTestAgent::ScheduleOrBlock() {
  const uint32_t barrier = words_->Read(sw_index_).barrier;
  ghost_msg msg;
  while (queue_->ring().Pop(&msg)) Handle(msg);

  if (running_ != 0 || fifo_.empty()) {
    // A stale barrier: just look again. Not an agent any more (the
    // enclave was destroyed): stop.
    if (BlockAgent(barrier).code() == absl::StatusCode::kInvalidArgument) {
      absl::MutexLock lock(&mu_);
      problems_.push_back("the agent was detached (enclave destroyed?)");
      stop_.store(true);
    }
    return;
  }
  const uint64_t gtid = fifo_.front();
  fifo_.erase(fifo_.begin());
  Thread& t = threads_[gtid];
  t.queued = false;
  ghost_txn* txn = cpu_data_->txn(cpu_);
  CpuDataRegion::Fill(txn, gtid, t.seq, barrier, kRunFlags);
  absl::StatusOr<int> done = Commit(&cpu_, 1, 0);
  const int32_t result = CpuDataRegion::Result(txn);
  if (done.ok() && result == GHOST_TXN_COMPLETE) {
    running_ = gtid;
    absl::MutexLock lock(&mu_);
    counters_.commits++;
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    counters_.failures[TxnResultName(result)]++;
  }
  // Stale: a message about it (or for us) is on its way; try it again
  // after reading it. Anything else: its next message says what to do.
  if (result == GHOST_TXN_TARGET_STALE || result == GHOST_TXN_AGENT_STALE) {
    fifo_.insert(fifo_.begin(), gtid);
    t.queued = true;
  }
}

void FifoTestAgent::Handle(const ghost_msg& msg) {
  if (IsCpuMessage(msg)) {
    absl::MutexLock lock(&mu_);
    counters_.cpu_messages[MessageTypeName(msg.type)]++;
    if (msg.gtid != 0 || msg.seqnum != 0) {
      problems_.push_back(absl::StrCat(MessageTypeName(msg.type),
                                       " has gtid ", msg.gtid, ", seq ",
                                       msg.seqnum, ": expected 0, 0"));
    }
    return;
  }
  Thread& t = threads_[msg.gtid];
  {
    absl::MutexLock lock(&mu_);
    counters_.messages++;
    const uint32_t want = msg.type == GHOST_MSG_NEW ? 1 : t.seq + 1;
    if (msg.seqnum != want) {
      problems_.push_back(absl::StrCat("gtid ", msg.gtid, ": ",
                                       MessageTypeName(msg.type), " has seq ",
                                       msg.seqnum, ", expected ", want));
    }
  }
  t.seq = msg.seqnum;
  auto enqueue = [&] {
    t.runnable = true;
    if (!t.queued) {
      fifo_.push_back(msg.gtid);
      t.queued = true;
    }
  };
  auto off_cpu = [&] {
    if (running_ == msg.gtid) running_ = 0;
  };
  switch (msg.type) {
    case GHOST_MSG_NEW:
      if ((msg.flags & GHOST_MSG_F_RUNNABLE) &&
          !(msg.flags & GHOST_MSG_F_ON_CPU)) {
        enqueue();
      }
      break;
    case GHOST_MSG_WAKEUP:
      enqueue();
      break;
    case GHOST_MSG_PREEMPTED:
    case GHOST_MSG_YIELD:
      off_cpu();
      enqueue();
      break;
    case GHOST_MSG_BLOCKED:
      off_cpu();
      t.runnable = false;
      break;
    case GHOST_MSG_AFFINITY_CHANGED:
      // A latch on a CPU it may no longer use is dropped without a switch
      // (it never ran): unless it is on a CPU, it is ours to place again.
      if (running_ == msg.gtid &&
          !(words_->Read(msg.sw_index).flags & GHOST_SW_F_ONCPU)) {
        running_ = 0;
      }
      // Also retries one a commit refused as CPU_NOT_ALLOWED.
      if (t.runnable && running_ != msg.gtid) enqueue();
      break;
    case GHOST_MSG_DEAD:
    case GHOST_MSG_DEPARTED: {
      off_cpu();
      fifo_.erase(std::remove(fifo_.begin(), fifo_.end(), msg.gtid),
                  fifo_.end());
      threads_.erase(msg.gtid);
      (void)FreeStatusWord(dir_.get(), {msg.sw_region, msg.sw_index});
      absl::MutexLock lock(&mu_);
      counters_.threads_done++;
      if (msg.type == GHOST_MSG_DEAD && msg.runtime > 0) {
        counters_.dead_with_runtime++;
      }
      break;
    }
    default:
      break;
  }
}

}  // namespace ghost::testing
