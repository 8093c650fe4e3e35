// Agent: the threads that schedule an enclave, one per enclave CPU. Each
// attaches as its CPU's agent (pinned there, in the agent class) and then
// runs its policy's round until told to stop; the round consumes messages,
// decides, commits, and blocks in the kernel with the agent barrier it
// read first, so a wakeup that races with the decision is never lost.
//
//   class MyPolicy : public AgentLoop { ... };
//   absl::StatusOr<std::unique_ptr<AgentGroup>> agents =
//       AgentGroup::Start(kernel, cpus, policy, absl::Seconds(5));
//   ...
//   (*agents)->Stop();   // every agent thread leaves ghost and exits
//
// Attaching retries while the CPU still has an agent (EBUSY) until the
// timeout: that is how a new agent takes over from one that is leaving
// (in-place upgrade).
//
// An enclave destroyed under its agents (the watchdog, an administrator)
// detaches every agent and wakes those asleep in the kernel; their next
// block or commit fails. After each round a thread asks the kernel
// interface whether that happened (no system call); if so it leaves its
// loop and, if the enclave is gone rather than just its CPU (offline),
// records the reason and calls `on_destroyed` (once per group), so the
// program can say why and exit:
//
//   AgentGroup::Start(kernel, cpus, policy, timeout,
//                     [] { kill(getpid(), SIGUSR2); });   // wake main
//   ...
//   if (std::optional<std::string> why = (*agents)->destroyed()) ...
#ifndef GHOST_LIB_AGENT_AGENT_GROUP_H_
#define GHOST_LIB_AGENT_AGENT_GROUP_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "lib/agent/kernel_interface.h"

namespace ghost {

// What an agent thread runs once attached. All calls for one CPU come from
// that CPU's agent thread.
class AgentLoop {
 public:
  virtual ~AgentLoop() = default;
  // The thread is the agent of `cpu`; `sw_index` is its status word.
  virtual void AgentAttached(int cpu, uint32_t sw_index) = 0;
  // Every agent of the group is attached: the policy may start deciding.
  virtual void AllAttached() {}
  // One round: consume, decide, commit or block. Must return soon after
  // the agent is pinged (Stop() pings).
  virtual void Round(int cpu) = 0;
};

class AgentGroup {
 public:
  // Called from an agent thread that found the enclave destroyed; must
  // not block (e.g. send a signal, set a flag).
  using DestroyedCallback = std::function<void()>;

  static absl::StatusOr<std::unique_ptr<AgentGroup>> Start(
      KernelInterface& kernel, absl::Span<const int> cpus, AgentLoop& loop,
      absl::Duration attach_timeout, DestroyedCallback on_destroyed = nullptr);

  // Stops every agent: each leaves ghost and its thread exits.
  ~AgentGroup() { Stop(); }
  void Stop();

  bool stopping() const { return stop_.load(std::memory_order_relaxed); }

  // Where Start() spent its time: the longest any CPU waited for a
  // previous agent to leave (EBUSY retries), and AllAttached() (e.g. the
  // policy's discovery of existing threads).
  absl::Duration longest_attach_wait() const {
    return absl::Nanoseconds(max_wait_ns_.load());
  }
  absl::Duration all_attached_time() const { return all_attached_time_; }

  // Why the enclave was destroyed under the agents (the kernel's reason,
  // from /sys/fs/ghost/destroyed), or nullopt if no agent found it gone.
  std::optional<std::string> destroyed() const;

  // The CPUs whose agent was detached while the enclave lives on (its
  // CPU went offline): their threads left the loop.
  std::vector<int> detached_cpus() const;

 private:
  AgentGroup(KernelInterface& kernel, AgentLoop& loop,
             DestroyedCallback on_destroyed)
      : kernel_(kernel), loop_(loop), on_destroyed_(std::move(on_destroyed)) {}
  void Run(int cpu, absl::Time attach_deadline);
  // The agent of `cpu` is no agent any more: find out why.
  void Detached(int cpu);

  KernelInterface& kernel_;
  AgentLoop& loop_;
  const DestroyedCallback on_destroyed_;
  std::vector<int> cpus_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> go_{false};  // all attached: run rounds
  std::atomic<int> exited_{0};   // threads out of their loop
  std::atomic<int64_t> max_wait_ns_{0};
  absl::Duration all_attached_time_;

  mutable absl::Mutex mu_;
  int attached_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  std::optional<std::string> destroyed_ ABSL_GUARDED_BY(mu_);
  std::vector<int> detached_cpus_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ghost

#endif  // GHOST_LIB_AGENT_AGENT_GROUP_H_
