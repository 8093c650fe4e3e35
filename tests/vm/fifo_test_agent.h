// FifoTestAgent: the smallest real agent, for the VM tests. One thread,
// attached as the agent of one enclave CPU, runs the enclave's runnable
// threads there first-come first-served through transactions, blocking in
// ghost_run() whenever it has nothing to do.
//
// The agent runs in a child process of its own, as real agents do
// (lib/runtime/agent_child.h): an agent that shares an address space with
// the threads it schedules can deadlock on it. A ghost thread preempted
// while it holds the mmap lock (a thread exiting, a stack being mapped)
// waits for the agent, and an agent that then faults or allocates waits
// for that lock. Counters and problems come back through shared memory
// (lib/runtime/shared_block.h).
//
// It checks the kernel as it goes: every thread's messages must start with
// NEW, be numbered without gaps, and end with DEAD or DEPARTED. Tests read
// the counters, the problems it saw and the messages it handled.
#ifndef GHOST_TESTS_VM_FIFO_TEST_AGENT_H_
#define GHOST_TESTS_VM_FIFO_TEST_AGENT_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/abi/cpu_data_region.h"
#include "lib/abi/enclave.h"
#include "lib/abi/fd.h"
#include "lib/abi/message_queue.h"
#include "lib/abi/status_word_region.h"
#include "lib/runtime/agent_child.h"
#include "lib/runtime/shared_block.h"
#include "lib/uapi/linux/ghost.h"

namespace ghost::testing {

class FifoTestAgent {
 public:
  // The enclave must own `cpu` and have no default queue yet; the agent
  // makes one that wakes `cpu`.
  static absl::StatusOr<std::unique_ptr<FifoTestAgent>> Start(
      const Enclave& enclave, int cpu);

  // Stops the agent process: its CPU has no agent any more.
  ~FifoTestAgent();

  struct Counters {
    uint64_t messages = 0;
    uint64_t commits = 0;                          // COMPLETE
    std::map<std::string, uint64_t> failures;      // by result name
    uint64_t threads_done = 0;                     // DEAD or DEPARTED seen
    uint64_t dead_with_runtime = 0;                // DEAD with runtime > 0
    std::map<std::string, uint64_t> cpu_messages;  // by type name
  };
  Counters counters();

  // Everything the agent found wrong in the kernel's messages.
  std::vector<std::string> problems();

  // The messages about `gtid` the agent handled so far, in order (the
  // first kLogSize thread messages of the agent's life are kept).
  std::vector<ghost_msg> MessagesOf(uint64_t gtid);
  // Every thread message it handled so far, in order.
  std::vector<ghost_msg> Messages();
  static constexpr int kLogSize = 4096;

  int cpu() const { return cpu_; }

 private:
  // What the agent process reports, in memory shared with the test.
  struct Shared;

  FifoTestAgent(const Enclave& enclave, int cpu);
  void Run();
  void Handle(const ghost_msg& msg);
  void ScheduleOrBlock();
  void Problem(const std::string& what);

  struct Thread {
    uint32_t seq = 0;
    bool queued = false;
    bool runnable = false;
  };

  const Enclave enclave_;
  const int cpu_;
  SharedBlock<Shared> shared_;
  Fd dir_;
  std::unique_ptr<MessageQueue> queue_;
  std::unique_ptr<CpuDataRegion> cpu_data_;
  std::unique_ptr<StatusWordRegion> words_;
  uint32_t sw_index_ = 0;
  std::unique_ptr<AgentChild> process_;  // the agent's

  // Agent-process state.
  std::map<uint64_t, Thread> threads_;
  std::vector<uint64_t> fifo_;
  uint64_t running_ = 0;
};

}  // namespace ghost::testing

#endif  // GHOST_TESTS_VM_FIFO_TEST_AGENT_H_
