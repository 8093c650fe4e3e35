#include "tests/vm/fifo_test_agent.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lib/abi/ghost_run.h"
#include "lib/abi/message_ring.h"
#include "tests/vm/wait_for.h"

namespace ghost::testing {

constexpr uint32_t kRunFlags = GHOST_RUN_F_WAKE_ON_BLOCK |
                               GHOST_RUN_F_WAKE_ON_YIELD |
                               GHOST_RUN_F_WAKE_ON_PREEMPT;

constexpr int kMaxProblems = 32;
constexpr int kProblemLen = 200;
// CPU message types, GHOST_MSG_CPU_TICK and up.
constexpr int kCpuMessageTypes =
    GHOST_MSG_CPU_AVAILABLE - GHOST_MSG_CPU_TICK + 1;

struct FifoTestAgent::Shared {
  std::atomic<int> attached{0};  // 1 ok, -1 failed
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> messages{0}, commits{0}, threads_done{0},
      dead_with_runtime{0};
  std::atomic<uint64_t> failures[GHOST_TXN_NR_RESULTS] = {};
  std::atomic<uint64_t> cpu_messages[kCpuMessageTypes] = {};
  std::atomic<int> nr_problems{0};
  char problems[kMaxProblems][kProblemLen] = {};
  // The thread messages handled, published one by one through `nr_logged`.
  std::atomic<int> nr_logged{0};
  ghost_msg log[kLogSize] = {};
};

FifoTestAgent::FifoTestAgent(const Enclave& enclave, int cpu)
    : enclave_(enclave), cpu_(cpu) {}

absl::StatusOr<std::unique_ptr<FifoTestAgent>> FifoTestAgent::Start(
    const Enclave& enclave, int cpu) {
  std::unique_ptr<FifoTestAgent> agent(new FifoTestAgent(enclave, cpu));
  if (!agent->shared_.ok()) return agent->shared_.status();
  absl::StatusOr<Fd> dir = OpenEnclaveDir(enclave.dir());
  if (!dir.ok()) return dir.status();
  agent->dir_ = std::move(*dir);
  absl::StatusOr<MessageQueue> q =
      MessageQueue::Create(agent->dir_.get(), 4096, MessageQueue::kDefault);
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

  absl::StatusOr<std::unique_ptr<AgentChild>> process =
      AgentChild::Start([a = agent.get()] {
        a->Run();
        return 0;
      });
  if (!process.ok()) return process.status();
  agent->process_ = std::move(*process);
  Shared* shared = agent->shared_.get();
  // Attaching takes milliseconds; a child that neither attaches nor fails
  // in this long is stuck (the destructor then kills it).
  if (!WaitFor([shared] { return shared->attached.load() != 0; },
               absl::Seconds(30))) {
    return absl::DeadlineExceededError(
        "the agent process neither attached nor failed within 30 s");
  }
  if (shared->attached.load() < 0) {
    const std::vector<std::string> why = agent->problems();
    return absl::InternalError(absl::StrCat("the agent could not attach: ",
                                            why.empty() ? "" : why.back()));
  }
  return agent;
}

FifoTestAgent::~FifoTestAgent() {
  if (process_ != nullptr) {
    shared_->stop.store(true);
    process_->Stop(absl::Seconds(5));  // SIGKILL after that
  }
}

FifoTestAgent::Counters FifoTestAgent::counters() {
  Counters c;
  c.messages = shared_->messages.load();
  c.commits = shared_->commits.load();
  c.threads_done = shared_->threads_done.load();
  c.dead_with_runtime = shared_->dead_with_runtime.load();
  for (int i = 0; i < GHOST_TXN_NR_RESULTS; ++i) {
    if (uint64_t n = shared_->failures[i].load()) {
      c.failures[TxnResultName(GHOST_TXN_COMPLETE + i)] = n;
    }
  }
  for (int i = 0; i < kCpuMessageTypes; ++i) {
    if (uint64_t n = shared_->cpu_messages[i].load()) {
      c.cpu_messages[MessageTypeName(GHOST_MSG_CPU_TICK + i)] = n;
    }
  }
  return c;
}

std::vector<std::string> FifoTestAgent::problems() {
  std::vector<std::string> out;
  const int n = std::min(shared_->nr_problems.load(), kMaxProblems);
  for (int i = 0; i < n; ++i) out.emplace_back(shared_->problems[i]);
  return out;
}

std::vector<ghost_msg> FifoTestAgent::Messages() {
  const int n = shared_->nr_logged.load(std::memory_order_acquire);
  return std::vector<ghost_msg>(shared_->log, shared_->log + n);
}

std::vector<ghost_msg> FifoTestAgent::MessagesOf(uint64_t gtid) {
  std::vector<ghost_msg> out;
  for (const ghost_msg& m : Messages()) {
    if (m.gtid == gtid) out.push_back(m);
  }
  return out;
}

// In the agent process.
void FifoTestAgent::Problem(const std::string& what) {
  const int i = shared_->nr_problems.load();
  if (i < kMaxProblems) {
    snprintf(shared_->problems[i], kProblemLen, "%s", what.c_str());
    shared_->nr_problems.store(i + 1);
  }
}

void FifoTestAgent::Run() {
  absl::StatusOr<uint32_t> sw = AttachAgent(dir_.get(), cpu_);
  if (!sw.ok()) {
    Problem(sw.status().ToString());
    shared_->attached.store(-1);
    return;
  }
  sw_index_ = *sw;
  shared_->attached.store(1);
  while (!shared_->stop.load()) ScheduleOrBlock();
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
      Problem("the agent was detached (enclave destroyed?)");
      shared_->stop.store(true);
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
    shared_->commits.fetch_add(1);
    return;
  }
  if (result > GHOST_TXN_COMPLETE &&
      result < GHOST_TXN_COMPLETE + GHOST_TXN_NR_RESULTS) {
    shared_->failures[result - GHOST_TXN_COMPLETE].fetch_add(1);
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
    if (msg.type <= GHOST_MSG_CPU_AVAILABLE) {
      shared_->cpu_messages[msg.type - GHOST_MSG_CPU_TICK].fetch_add(1);
    }
    if (msg.gtid != 0 || msg.seqnum != 0) {
      Problem(absl::StrCat(MessageTypeName(msg.type), " has gtid ", msg.gtid,
                           ", seq ", msg.seqnum, ": expected 0, 0"));
    }
    return;
  }
  Thread& t = threads_[msg.gtid];
  shared_->messages.fetch_add(1);
  if (const int n = shared_->nr_logged.load(); n < kLogSize) {
    shared_->log[n] = msg;
    shared_->nr_logged.store(n + 1, std::memory_order_release);
  }
  const uint32_t want = msg.type == GHOST_MSG_NEW ? 1 : t.seq + 1;
  if (msg.seqnum != want) {
    Problem(absl::StrCat("gtid ", msg.gtid, ": ", MessageTypeName(msg.type),
                         " has seq ", msg.seqnum, ", expected ", want));
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
      shared_->threads_done.fetch_add(1);
      if (msg.type == GHOST_MSG_DEAD && msg.runtime > 0) {
        shared_->dead_with_runtime.fetch_add(1);
      }
      break;
    }
    default:
      break;
  }
}

}  // namespace ghost::testing
