// FakeKernel: an in-process stand-in for the ghost kernel, for host unit
// tests and benchmarks of policies (never linked into an agent). It keeps
// threads, status words, queue rings and transaction slots in ordinary
// memory with the semantics of docs/abi.md, so a policy reads and writes
// them exactly as it would the kernel's mappings, and a test scripts
// thread events (Spawn, Wake, Block, Yield, Exit...) in between rounds.
//
// It is single-threaded: the test calls the policy's rounds itself, saying
// which CPU's agent is calling (SetCallerCpu), and BlockAgent() returns at
// once (counting the sleep) instead of sleeping. A latch takes effect at
// once: the thread runs on the CPU until the test says otherwise.
//
// Scripted events never allocate once threads exist (the benchmark relies
// on that): threads live in a vector indexed by gtid.
#ifndef GHOST_TESTS_HOST_FAKES_FAKE_KERNEL_H_
#define GHOST_TESTS_HOST_FAKES_FAKE_KERNEL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/abi/message_ring.h"
#include "lib/abi/status_word_region.h"
#include "lib/agent/channel.h"
#include "lib/agent/kernel_interface.h"
#include "lib/uapi/linux/ghost.h"
#include "lib/util/cpu_set.h"

namespace ghost::testing {

class FakeKernel final : public KernelInterface {
 public:
  // CPU numbers up to this (beyond 64, beyond 1024): policies must handle
  // CPUs past any fixed-size mask.
  static constexpr int kMaxCpus = 2048;

  explicit FakeKernel(std::vector<int> cpus);

  // KernelInterface.
  absl::StatusOr<std::vector<int>> EnclaveCpus() override { return cpus_; }
  absl::StatusOr<Channel*> CreateChannel(uint32_t nelems,
                                         bool make_default) override;
  absl::Status SetChannelWakeup(Channel& channel,
                                absl::Span<const int> cpus) override;
  absl::StatusOr<uint32_t> AttachAgent(int cpu) override;
  void DetachAgent() override {}
  const StatusWordRegion& words() const override { return region_; }
  int Associate(const Channel& channel, uint64_t gtid,
                uint32_t barrier) override;
  ghost_txn* Txn(int cpu) override { return &txns_[cpu]; }
  int Commit(const int* cpus, uint32_t nr_cpus, uint32_t flags,
             uint32_t agent_barrier) override;
  int BlockAgent(uint32_t agent_barrier) override;
  int PingAgent(int cpu) override;
  int FreeStatusWord(uint32_t region, uint32_t index) override;
  absl::Status EnableTicks() override {
    ticks_enabled_ = true;
    return absl::OkStatus();
  }
  int SetCpuChannel(int cpu, const Channel& channel) override;
  bool CallerDetached() override {
    return caller_cpu_ >= 0 && caller_detached_[caller_cpu_];
  }
  absl::StatusOr<std::optional<std::string>> WhyDestroyed() override {
    return destroyed_;
  }

  // The enclave is destroyed for `reason`: every agent is detached (its
  // next block or commit fails).
  void Destroy(const std::string& reason);

  // Every agent dies at once (a SIGKILL of the agent process): each CPU
  // loses its agent, a thread latched where that agent had not blocked yet
  // is PREEMPTED, threads on a CPU keep running, and the enclave is in
  // bypass (docs/abi.md "An enclave without agents") until an agent
  // attaches again. Messages keep going to the queues the threads send to.
  void KillAgents();
  bool bypass() const { return bypass_; }
  // In bypass, the kernel runs the runnable thread `gtid` on the free CPU
  // `cpu` itself: no latch, no message, its word says on-CPU.
  void RunInBypass(uint64_t gtid, int cpu);
  // The agent of `cpu` was woken and takes its CPU: the ghost thread
  // running there leaves it (PREEMPTED, which does not count as an event
  // for that agent: it is awake already), as the kernel does when the
  // agent class runs.
  void AgentTakesCpu(int cpu);
  // Whether the agent of `cpu` sleeps in the kernel: it blocked (alone or
  // in a commit) with the latest barrier, and nothing for its CPU came
  // since. A real agent runs no round until then.
  bool agent_asleep(int cpu) const { return asleep_[cpu]; }

  // The agent thread making the next calls is the one of `cpu`.
  void SetCallerCpu(int cpu) { caller_cpu_ = cpu; }
  // The status word of the agent of `cpu` (after AttachAgent).
  uint32_t agent_sw(int cpu) const { return agent_sw_[cpu] - 1; }

  // Scripted thread events. Spawn returns the new thread's gtid; `cpu` is
  // where it was before it entered (its messages' CPU until it runs).
  uint64_t Spawn(bool runnable = true, bool on_cpu = false, int cpu = -1);
  // A child forked by a ghost thread running on `parent_cpu`: NEW with
  // FORKED, runnable, on `parent_cpu`'s queue.
  uint64_t Fork(int parent_cpu);
  void Wake(uint64_t gtid);
  void Block(uint64_t gtid);    // must be running
  void Yield(uint64_t gtid);    // must be running
  void Preempt(uint64_t gtid);  // a higher class took its CPU
  void Exit(uint64_t gtid);
  void SetAllowed(uint64_t gtid, uint64_t cpu_mask);       // AFFINITY_CHANGED
  void SetAllowedCpus(uint64_t gtid, const CpuSet& cpus);  // any CPU numbers
  // A tick of `cpu`: CPU_TICK on its CPU channel if a ghost thread runs
  // there and the enclave asked for ticks (as the kernel does).
  void Tick(int cpu);
  // The thread latched on `cpu` by a commit of that CPU's own agent that
  // asked to block, where the block was refused (ESTALE: a message came
  // first), as the kernel leaves it: latched, not run, no message, until
  // that agent blocks or a later latch of the CPU replaces it (0: none).
  uint64_t held_gtid(int cpu) const { return held_[cpu]; }

  // What the kernel knows.
  uint64_t running_gtid(int cpu) const { return running_[cpu]; }
  int cpu_of(uint64_t gtid) const;  // -1 unless running
  bool runnable(uint64_t gtid) const;
  bool freed(uint64_t gtid) const;  // its status word was freed
  int live_threads() const { return live_; }

  // Counters.
  int commit_calls() const { return commit_calls_; }
  int last_commit_size() const { return last_commit_size_; }
  int latches() const { return latches_; }
  int blocks() const { return blocks_; }
  int pings(int cpu) const { return pings_[cpu]; }
  // System calls of each kind, to compare what policies cost the kernel:
  // BlockAgent calls alone (not the block inside a commit), Associate,
  // PingAgent and SetCpuChannel calls, whatever their result.
  int block_calls() const { return block_calls_; }
  int associate_calls() const { return associate_calls_; }
  int ping_calls() const { return ping_calls_; }
  int cpu_channel_calls() const { return cpu_channel_calls_; }
  // Times a sleeping agent was woken (an event, a ping, its thread left).
  int agent_wakeups() const { return agent_wakeups_; }
  int ticks_sent(int cpu) const { return ticks_sent_[cpu]; }
  bool ticks_enabled() const { return ticks_enabled_; }
  // The channel id the CPU messages of `cpu` go to (-1: none).
  int cpu_channel(int cpu) const {
    return cpu_queue_[cpu] < 0 ? -1 : queues_[cpu_queue_[cpu]]->channel->id();
  }
  uint64_t dropped() const { return dropped_; }

  // Called at the start of every Commit (before validation): lets a test
  // slip an event in between a policy's decision and its commit.
  void set_before_commit(void (*fn)(FakeKernel&, void*), void* arg) {
    before_commit_ = fn;
    before_commit_arg_ = arg;
  }
  // Called in a commit that asks to block, after its latches and before
  // the block: a message slipped in there makes the block stale.
  void set_before_block(void (*fn)(FakeKernel&, void*), void* arg) {
    before_block_ = fn;
    before_block_arg_ = arg;
  }
  // Called at the start of every SetCpuChannel: lets a test run another
  // agent's round in the middle of this one's (after it looked at its
  // queue, before it sleeps), as two agent threads interleave.
  void set_on_cpu_channel(void (*fn)(FakeKernel&, void*), void* arg) {
    on_cpu_channel_ = fn;
    on_cpu_channel_arg_ = arg;
  }

 private:
  enum class ThreadState { kBlocked, kRunnable, kRunning, kGone };
  struct Thread {
    uint32_t sw_index = 0;
    uint32_t seq = 0;
    ThreadState state = ThreadState::kGone;
    int cpu = -1;       // where it runs (-1: not running)
    int last_cpu = -1;  // where it ran last: messages report it (task_cpu)
    std::optional<CpuSet> allowed;  // none: every CPU
    int queue = -1;                 // -1: the default queue
    uint32_t run_flags = 0;
  };
  struct Queue {
    std::vector<char> memory;
    std::unique_ptr<MessageRing> ring;  // the queue's one reader
    std::unique_ptr<Channel> channel;
    std::vector<int> wake;
  };

  Thread& T(uint64_t gtid) { return threads_[gtid - kFirstGtid]; }
  const Thread& T(uint64_t gtid) const { return threads_[gtid - kFirstGtid]; }
  ghost_queue_header* Header(Queue& q) {
    return reinterpret_cast<ghost_queue_header*>(q.memory.data());
  }
  void Produce(uint64_t gtid, uint16_t type, uint16_t flags, int cpu);
  // Appends `msg` to queue `qi` (or counts it dropped) and wakes its CPUs.
  void Deliver(int qi, const ghost_msg& msg);
  void WriteWord(uint64_t gtid);
  void BumpAgent(int cpu);
  void LeaveCpu(Thread& t, uint64_t gtid, uint32_t wake_flag);
  // The block of BlockAgent and of a commit with GHOST_COMMIT_F_BLOCK.
  int Sleep(uint32_t agent_barrier);
  int32_t Check(int cpu, const ghost_txn& txn);
  void Latch(int cpu, uint64_t gtid);
  void HoldLatch(int cpu);
  void ForgetHeld(uint64_t gtid);
  uint32_t AllocWord();
  bool InEnclave(int cpu) const;

  static constexpr uint64_t kFirstGtid = 1000;

  std::vector<int> cpus_;
  std::vector<ghost_status_word> words_;
  StatusWordRegion region_;
  std::vector<ghost_txn> txns_;
  std::vector<Thread> threads_;
  std::vector<std::unique_ptr<Queue>> queues_;
  int default_queue_ = -1;
  uint32_t next_word_ = 0;
  std::vector<uint32_t> free_words_;
  uint64_t running_[kMaxCpus] = {};
  uint64_t held_[kMaxCpus] = {};  // latched on the agent's CPU, not run
  uint32_t agent_sw_[kMaxCpus] = {};     // index + 1; 0: no agent
  bool caller_detached_[kMaxCpus] = {};  // a call found it no agent
  bool asleep_[kMaxCpus] = {};           // blocked until an event
  bool bypass_ = false;
  std::optional<std::string> destroyed_;
  int pings_[kMaxCpus] = {};
  int ticks_sent_[kMaxCpus] = {};
  int cpu_queue_[kMaxCpus];  // set to -1 by the constructor
  bool ticks_enabled_ = false;
  int caller_cpu_ = -1;
  int live_ = 0;
  int commit_calls_ = 0;
  int last_commit_size_ = 0;
  int latches_ = 0;
  int blocks_ = 0;
  int block_calls_ = 0;
  int associate_calls_ = 0;
  int ping_calls_ = 0;
  int cpu_channel_calls_ = 0;
  int agent_wakeups_ = 0;
  uint64_t dropped_ = 0;
  int quiet_cpu_ = -1;  // a delivery does not wake this CPU's agent
  void (*before_commit_)(FakeKernel&, void*) = nullptr;
  void (*before_block_)(FakeKernel&, void*) = nullptr;
  void* before_block_arg_ = nullptr;
  void* before_commit_arg_ = nullptr;
  void (*on_cpu_channel_)(FakeKernel&, void*) = nullptr;
  void* on_cpu_channel_arg_ = nullptr;
};

// Starts `policy` on `kernel` as the agent runtime does: Init, an agent
// attached on each of `cpus` (in order), then AllAttached.
template <typename Policy>
absl::Status StartOnFake(FakeKernel& kernel, Policy& policy,
                         const std::vector<int>& cpus) {
  if (absl::Status s = policy.Init(); !s.ok()) return s;
  for (int cpu : cpus) {
    absl::StatusOr<uint32_t> sw = kernel.AttachAgent(cpu);
    if (!sw.ok()) return sw.status();
    policy.AgentAttached(cpu, *sw);
  }
  policy.AllAttached();
  return absl::OkStatus();
}

}  // namespace ghost::testing

#endif  // GHOST_TESTS_HOST_FAKES_FAKE_KERNEL_H_
