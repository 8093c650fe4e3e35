#include "tests/host/fakes/fake_kernel.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace ghost::testing {

FakeKernel::FakeKernel(std::vector<int> cpus)
    : cpus_(std::move(cpus)),
      words_(GHOST_SW_REGION_WORDS),
      region_(StatusWordRegion::FromMemory(words_.data())),
      txns_(kMaxCpus) {
  for (int i = 0; i < kMaxCpus; ++i) {
    txns_[i].cpu = i;
    cpu_queue_[i] = -1;
  }
  threads_.reserve(GHOST_SW_REGION_WORDS);
  free_words_.reserve(GHOST_SW_REGION_WORDS);
}

bool FakeKernel::InEnclave(int cpu) const {
  return std::find(cpus_.begin(), cpus_.end(), cpu) != cpus_.end();
}

absl::StatusOr<Channel*> FakeKernel::CreateChannel(uint32_t nelems,
                                                   bool make_default) {
  auto q = std::make_unique<Queue>();
  q->memory.assign(GHOST_QUEUE_HDR_BYTES + nelems * sizeof(ghost_msg), 0);
  ghost_queue_header* hdr = Header(*q);
  hdr->version = GHOST_ABI_VERSION;
  hdr->nelems = nelems;
  hdr->start = GHOST_QUEUE_HDR_BYTES;
  if (absl::Status s =
          MessageRing::Validate(q->memory.data(), q->memory.size());
      !s.ok()) {
    return s;
  }
  const int id = 100 + static_cast<int>(queues_.size());
  q->ring = std::make_unique<MessageRing>(q->memory.data());
  q->channel = std::make_unique<Channel>(*q->ring, id);
  if (make_default) default_queue_ = static_cast<int>(queues_.size());
  queues_.push_back(std::move(q));
  return queues_.back()->channel.get();
}

absl::Status FakeKernel::SetChannelWakeup(Channel& channel,
                                          absl::Span<const int> cpus) {
  for (auto& q : queues_) {
    if (q->channel.get() == &channel) {
      q->wake.assign(cpus.begin(), cpus.end());
      return absl::OkStatus();
    }
  }
  return absl::NotFoundError("no such fake queue");
}

uint32_t FakeKernel::AllocWord() {
  if (!free_words_.empty()) {
    const uint32_t i = free_words_.back();
    free_words_.pop_back();
    return i;
  }
  return next_word_++;
}

absl::StatusOr<uint32_t> FakeKernel::AttachAgent(int cpu) {
  if (!InEnclave(cpu)) {
    return absl::InvalidArgumentError(absl::StrCat("CPU ", cpu, " not ours"));
  }
  if (agent_sw_[cpu] != 0) {
    return absl::Status(absl::ErrnoToStatusCode(EBUSY),
                        absl::StrCat("CPU ", cpu, " has an agent"));
  }
  const uint32_t i = AllocWord();
  words_[i] = {.barrier = 0,
               .flags = GHOST_SW_F_INUSE | GHOST_SW_F_AGENT,
               .gtid = 1 + static_cast<uint64_t>(cpu)};
  // Word 0 may be an agent's: keep 0 meaning "none" by storing index + 1.
  agent_sw_[cpu] = i + 1;
  caller_detached_[cpu] = false;
  asleep_[cpu] = false;
  bypass_ = false;  // the first agent back ends it
  return i;
}

void FakeKernel::Destroy(const std::string& reason) {
  destroyed_ = reason;
  for (int cpu : cpus_) agent_sw_[cpu] = 0;
}

void FakeKernel::BumpAgent(int cpu) {
  if (agent_sw_[cpu] != 0) words_[agent_sw_[cpu] - 1].barrier++;
  if (asleep_[cpu]) ++agent_wakeups_;
  asleep_[cpu] = false;
}

void FakeKernel::KillAgents() {
  for (int cpu : cpus_) {
    if (agent_sw_[cpu] == 0) continue;
    if (const uint64_t held = held_[cpu]; held != 0) {
      held_[cpu] = 0;
      Produce(held, GHOST_MSG_PREEMPTED, 0, cpu);
    }
    ghost_status_word& w = words_[agent_sw_[cpu] - 1];
    w = ghost_status_word{};
    free_words_.push_back(agent_sw_[cpu] - 1);
    agent_sw_[cpu] = 0;
    asleep_[cpu] = false;
    if (txns_[cpu].state == GHOST_TXN_READY) txns_[cpu].state = GHOST_TXN_NO_AGENT;
  }
  bypass_ = true;
}

void FakeKernel::RunInBypass(uint64_t gtid, int cpu) {
  Thread& t = T(gtid);
  if (!bypass_ || t.state != ThreadState::kRunnable || running_[cpu] != 0 ||
      (t.allowed.has_value() && !t.allowed->Contains(cpu))) {
    return;
  }
  t.state = ThreadState::kRunning;
  t.cpu = cpu;
  t.last_cpu = cpu;
  t.run_flags = 0;
  running_[cpu] = gtid;
  WriteWord(gtid);
}

void FakeKernel::AgentTakesCpu(int cpu) {
  const uint64_t gtid = running_[cpu];
  if (gtid == 0 || agent_sw_[cpu] == 0) return;
  Thread& t = T(gtid);
  t.state = ThreadState::kRunnable;
  t.cpu = -1;
  running_[cpu] = 0;
  quiet_cpu_ = cpu;
  Produce(gtid, GHOST_MSG_PREEMPTED, 0, cpu);
  quiet_cpu_ = -1;
}

void FakeKernel::WriteWord(uint64_t gtid) {
  const Thread& t = T(gtid);
  ghost_status_word& w = words_[t.sw_index];
  w.barrier = t.seq;
  w.gtid = gtid;
  uint32_t flags = GHOST_SW_F_INUSE;
  if (t.state == ThreadState::kRunnable) flags |= GHOST_SW_F_RUNNABLE;
  if (t.state == ThreadState::kRunning) {
    flags |= GHOST_SW_F_RUNNABLE | GHOST_SW_F_ONCPU;
  }
  if (t.state == ThreadState::kGone) flags |= GHOST_SW_F_CANFREE;
  w.flags = flags;
}

void FakeKernel::Deliver(int qi, const ghost_msg& msg) {
  Queue& q = *queues_[qi];
  ghost_queue_header* hdr = Header(q);
  if (hdr->head - hdr->tail >= hdr->nelems) {
    hdr->overflow++;
    dropped_++;
  } else {
    auto* ring = reinterpret_cast<ghost_msg*>(q.memory.data() + hdr->start);
    ring[hdr->head & (hdr->nelems - 1)] = msg;
    hdr->head++;
  }
  for (int c : q.wake) {
    if (c != quiet_cpu_) BumpAgent(c);
  }
}

void FakeKernel::Produce(uint64_t gtid, uint16_t type, uint16_t flags,
                         int cpu) {
  Thread& t = T(gtid);
  t.seq++;
  const int qi = t.queue >= 0 ? t.queue : default_queue_;
  if (qi >= 0) {
    Deliver(qi, ghost_msg{
                    .type = type,
                    .flags = flags,
                    .seqnum = t.seq,
                    .gtid = gtid,
                    .cpu = cpu,
                    .sw_region = 0,
                    .sw_index = t.sw_index,
                });
  }
  WriteWord(gtid);
}

void FakeKernel::Tick(int cpu) {
  if (!ticks_enabled_ || running_[cpu] == 0 || cpu_queue_[cpu] < 0) return;
  ++ticks_sent_[cpu];
  Deliver(cpu_queue_[cpu], ghost_msg{.type = GHOST_MSG_CPU_TICK, .cpu = cpu});
}

int FakeKernel::SetCpuChannel(int cpu, const Channel& channel) {
  ++cpu_channel_calls_;
  if (on_cpu_channel_ != nullptr) on_cpu_channel_(*this, on_cpu_channel_arg_);
  if (!InEnclave(cpu)) return EINVAL;
  for (size_t i = 0; i < queues_.size(); ++i) {
    if (queues_[i]->channel->id() == channel.id()) {
      cpu_queue_[cpu] = static_cast<int>(i);
      return 0;
    }
  }
  return EBADF;
}

uint64_t FakeKernel::Spawn(bool runnable, bool on_cpu, int cpu) {
  const uint64_t gtid = kFirstGtid + threads_.size();
  threads_.push_back(Thread{.sw_index = AllocWord()});
  Thread& t = T(gtid);
  uint16_t flags = 0;
  t.last_cpu = cpu;
  t.state = ThreadState::kBlocked;
  if (on_cpu) {
    t.state = ThreadState::kRunning;
    t.cpu = cpu;
    running_[cpu] = gtid;
    flags = GHOST_MSG_F_ON_CPU | GHOST_MSG_F_RUNNABLE;
  } else if (runnable) {
    t.state = ThreadState::kRunnable;
    flags = GHOST_MSG_F_RUNNABLE;
  }
  ++live_;
  Produce(gtid, GHOST_MSG_NEW, flags, cpu);
  return gtid;
}

uint64_t FakeKernel::Fork(int parent_cpu) {
  const uint64_t gtid = kFirstGtid + threads_.size();
  threads_.push_back(Thread{.sw_index = AllocWord()});
  Thread& t = T(gtid);
  t.state = ThreadState::kRunnable;
  t.cpu = parent_cpu;
  ++live_;
  Produce(gtid, GHOST_MSG_NEW, GHOST_MSG_F_FORKED | GHOST_MSG_F_RUNNABLE,
          parent_cpu);
  return gtid;
}

void FakeKernel::LeaveCpu(Thread& t, uint64_t gtid, uint32_t wake_flag) {
  if (t.cpu >= 0 && running_[t.cpu] == gtid) {
    running_[t.cpu] = 0;
    if (t.run_flags & wake_flag) BumpAgent(t.cpu);
  }
  t.cpu = -1;
}

void FakeKernel::Wake(uint64_t gtid) {
  Thread& t = T(gtid);
  if (t.state != ThreadState::kBlocked) return;
  t.state = ThreadState::kRunnable;
  Produce(gtid, GHOST_MSG_WAKEUP, 0, t.last_cpu);
}

void FakeKernel::Block(uint64_t gtid) {
  Thread& t = T(gtid);
  if (t.state != ThreadState::kRunning) return;
  const int cpu = t.cpu;
  LeaveCpu(t, gtid, GHOST_RUN_F_WAKE_ON_BLOCK);
  t.state = ThreadState::kBlocked;
  Produce(gtid, GHOST_MSG_BLOCKED, 0, cpu);
}

void FakeKernel::Yield(uint64_t gtid) {
  Thread& t = T(gtid);
  if (t.state != ThreadState::kRunning) return;
  const int cpu = t.cpu;
  LeaveCpu(t, gtid, GHOST_RUN_F_WAKE_ON_YIELD);
  t.state = ThreadState::kRunnable;
  Produce(gtid, GHOST_MSG_YIELD, 0, cpu);
}

void FakeKernel::Preempt(uint64_t gtid) {
  Thread& t = T(gtid);
  if (t.state != ThreadState::kRunning) return;
  const int cpu = t.cpu;
  LeaveCpu(t, gtid, GHOST_RUN_F_WAKE_ON_PREEMPT);
  t.state = ThreadState::kRunnable;
  Produce(gtid, GHOST_MSG_PREEMPTED, 0, cpu);
}

void FakeKernel::Exit(uint64_t gtid) {
  Thread& t = T(gtid);
  if (t.state == ThreadState::kGone) return;
  const int cpu = t.cpu;
  LeaveCpu(t, gtid, GHOST_RUN_F_WAKE_ON_BLOCK);
  t.state = ThreadState::kGone;
  ForgetHeld(gtid);
  --live_;
  Produce(gtid, GHOST_MSG_DEAD, 0, cpu);
}

void FakeKernel::SetAllowed(uint64_t gtid, uint64_t cpu_mask) {
  CpuSet cpus(64);
  for (int c = 0; c < 64; ++c) {
    if (cpu_mask & (uint64_t{1} << c)) cpus.Add(c);
  }
  SetAllowedCpus(gtid, cpus);
}

void FakeKernel::SetAllowedCpus(uint64_t gtid, const CpuSet& cpus) {
  Thread& t = T(gtid);
  t.allowed = cpus;
  Produce(gtid, GHOST_MSG_AFFINITY_CHANGED, 0, t.last_cpu);
}

int FakeKernel::cpu_of(uint64_t gtid) const {
  const Thread& t = T(gtid);
  return t.state == ThreadState::kRunning ? t.cpu : -1;
}

bool FakeKernel::runnable(uint64_t gtid) const {
  return T(gtid).state == ThreadState::kRunnable;
}

bool FakeKernel::freed(uint64_t gtid) const {
  const ghost_status_word& w = words_[T(gtid).sw_index];
  return !(w.flags & GHOST_SW_F_INUSE) || w.gtid != gtid;
}

int FakeKernel::Associate(const Channel& channel, uint64_t gtid,
                          uint32_t barrier) {
  ++associate_calls_;
  int qi = -1;
  for (size_t i = 0; i < queues_.size(); ++i) {
    if (queues_[i]->channel->id() == channel.id()) qi = i;
  }
  if (qi < 0) return EBADF;
  if (gtid < kFirstGtid || gtid - kFirstGtid >= threads_.size() ||
      T(gtid).state == ThreadState::kGone) {
    return ENOENT;
  }
  Thread& t = T(gtid);
  if (t.seq != barrier) return ESTALE;
  t.queue = qi;
  return 0;
}

int32_t FakeKernel::Check(int cpu, const ghost_txn& txn) {
  if (!InEnclave(cpu)) return GHOST_TXN_CPU_NOT_IN_ENCLAVE;
  if (txn.run_flags & ~GHOST_RUN_F_ALL) return GHOST_TXN_INVALID;
  if (cpu == caller_cpu_ && agent_sw_[cpu] != 0 &&
      words_[agent_sw_[cpu] - 1].barrier != txn.agent_barrier) {
    return GHOST_TXN_AGENT_STALE;
  }
  if (txn.gtid == GHOST_GTID_NONE) return GHOST_TXN_COMPLETE;
  if (txn.gtid < kFirstGtid || txn.gtid - kFirstGtid >= threads_.size() ||
      T(txn.gtid).state == ThreadState::kGone) {
    return GHOST_TXN_TARGET_NOT_FOUND;
  }
  const Thread& t = T(txn.gtid);
  if (t.seq != txn.task_barrier) return GHOST_TXN_TARGET_STALE;
  if (t.state == ThreadState::kBlocked) return GHOST_TXN_TARGET_NOT_RUNNABLE;
  if (t.allowed.has_value() && !t.allowed->Contains(cpu)) {
    return GHOST_TXN_CPU_NOT_ALLOWED;
  }
  if (t.state == ThreadState::kRunning && t.cpu != cpu) {
    return GHOST_TXN_TARGET_ONCPU;
  }
  return GHOST_TXN_COMPLETE;
}

void FakeKernel::Latch(int cpu, uint64_t gtid) {
  // A latch that never ran is replaced without a message (docs/abi.md).
  held_[cpu] = 0;
  ForgetHeld(gtid);
  const uint64_t prev = running_[cpu];
  if (prev != 0 && prev != gtid) {
    // Taking the CPU from a running ghost thread: PREEMPTED. On the
    // calling agent's own CPU the thread left when that agent woke, before
    // its round: the message does not make its barrier stale.
    Thread& p = T(prev);
    p.state = ThreadState::kRunnable;
    p.cpu = -1;
    running_[cpu] = 0;
    quiet_cpu_ = cpu == caller_cpu_ ? cpu : -1;
    Produce(prev, GHOST_MSG_PREEMPTED, 0, cpu);
    quiet_cpu_ = -1;
  }
  if (gtid == GHOST_GTID_NONE) return;
  Thread& t = T(gtid);
  t.state = ThreadState::kRunning;
  t.cpu = cpu;
  t.last_cpu = cpu;
  t.run_flags = txns_[cpu].run_flags;
  running_[cpu] = gtid;
  WriteWord(gtid);
  ++latches_;
}

int FakeKernel::Commit(const int* cpus, uint32_t nr_cpus, uint32_t flags,
                       uint32_t agent_barrier) {
  ++commit_calls_;
  last_commit_size_ = nr_cpus;
  if (before_commit_ != nullptr) before_commit_(*this, before_commit_arg_);
  if (caller_cpu_ < 0 || agent_sw_[caller_cpu_] == 0) {
    if (caller_cpu_ >= 0) caller_detached_[caller_cpu_] = true;
    return -EPERM;
  }
  if (nr_cpus > kMaxCpus) return -EINVAL;
  int32_t results[kMaxCpus];
  bool all_ok = true;
  for (uint32_t i = 0; i < nr_cpus; ++i) {
    if (cpus[i] < 0 || cpus[i] >= kMaxCpus) return -EINVAL;
    ghost_txn& txn = txns_[cpus[i]];
    if (txn.state != GHOST_TXN_READY) {
      results[i] = GHOST_TXN_IDLE;  // left alone
      all_ok = false;
      continue;
    }
    txn.state = GHOST_TXN_CLAIMED;
    results[i] = Check(cpus[i], txn);
    if (results[i] != GHOST_TXN_COMPLETE) all_ok = false;
  }
  const bool group = flags & GHOST_COMMIT_F_SYNC_GROUP;
  int completed = 0;
  for (uint32_t i = 0; i < nr_cpus; ++i) {
    ghost_txn& txn = txns_[cpus[i]];
    if (results[i] == GHOST_TXN_IDLE) continue;
    int32_t r = results[i];
    if (group && !all_ok && r == GHOST_TXN_COMPLETE) r = GHOST_TXN_POISONED;
    if (r == GHOST_TXN_COMPLETE) {
      Latch(cpus[i], txn.gtid);
      ++completed;
    }
    txn.state = r;
  }
  if (flags & GHOST_COMMIT_F_BLOCK && before_block_ != nullptr) {
    before_block_(*this, before_block_arg_);
  }
  if ((flags & GHOST_COMMIT_F_BLOCK) && Sleep(agent_barrier) == ESTALE) {
    HoldLatch(caller_cpu_);
  }
  return group && !all_ok ? 0 : completed;
}

// The agent of `cpu` did not block: it keeps the CPU, and what it latched
// there waits for it to block.
void FakeKernel::HoldLatch(int cpu) {
  const uint64_t gtid = running_[cpu];
  if (gtid == 0) return;
  Thread& t = T(gtid);
  t.state = ThreadState::kRunnable;
  t.cpu = -1;
  running_[cpu] = 0;
  held_[cpu] = gtid;
  WriteWord(gtid);
}

void FakeKernel::ForgetHeld(uint64_t gtid) {
  for (int c : cpus_) {
    if (held_[c] == gtid) held_[c] = 0;
  }
}

int FakeKernel::BlockAgent(uint32_t agent_barrier) {
  ++block_calls_;
  return Sleep(agent_barrier);
}

int FakeKernel::Sleep(uint32_t agent_barrier) {
  if (caller_cpu_ < 0 || agent_sw_[caller_cpu_] == 0) {
    if (caller_cpu_ >= 0) caller_detached_[caller_cpu_] = true;
    return EINVAL;
  }
  if (words_[agent_sw_[caller_cpu_] - 1].barrier != agent_barrier) {
    return ESTALE;
  }
  ++blocks_;
  asleep_[caller_cpu_] = true;
  if (const uint64_t held = held_[caller_cpu_]; held != 0) {
    Latch(caller_cpu_, held);  // the agent is off its CPU: the latch runs
  }
  return 0;
}

int FakeKernel::PingAgent(int cpu) {
  ++ping_calls_;
  if (cpu < 0 || cpu >= kMaxCpus || agent_sw_[cpu] == 0) return ENOENT;
  BumpAgent(cpu);
  ++pings_[cpu];
  return 0;
}

int FakeKernel::FreeStatusWord(uint32_t region, uint32_t index) {
  if (region != 0 || index >= words_.size()) return EINVAL;
  ghost_status_word& w = words_[index];
  if (!(w.flags & GHOST_SW_F_INUSE)) return ENOENT;
  if (!(w.flags & GHOST_SW_F_CANFREE)) return EBUSY;
  w = ghost_status_word{};
  free_words_.push_back(index);
  return 0;
}

}  // namespace ghost::testing
