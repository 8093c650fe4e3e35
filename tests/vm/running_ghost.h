// For VM tests that watch a ghost thread that runs.
//
// A thread that enters ghost while running keeps its CPU until it blocks
// or anything else wants that CPU (K2); after that only an agent runs it
// again. So such a test forks its helper onto one CPU of the enclave
// (ForkRunningGhost) and keeps an agent there (CpuAgent), and the helper
// runs to its end whatever takes its CPU on the way (a kernel thread adds
// a PREEMPTED, and the agent's latch brings the helper back). The test's
// own thread stays on CPU 0 meanwhile.
//
//   ASSERT_TRUE(enclave.SetCpus("2").ok());
//   absl::StatusOr<std::unique_ptr<CpuAgent>> agent = CpuAgent::Start(enclave, 2);
//   const pid_t pid = ForkRunningGhost(enclave, 2, [] { sched_yield(); });
//   ... (*agent)->agent().MessagesOf(gtid) ...
#ifndef GHOST_TESTS_VM_RUNNING_GHOST_H_
#define GHOST_TESTS_VM_RUNNING_GHOST_H_

#include <sched.h>
#include <unistd.h>

#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "lib/abi/enclave.h"
#include "tests/vm/fifo_test_agent.h"
#include "tests/vm/vm_helpers.h"

namespace ghost::testing {

// Forks a helper on `cpu` that moves itself into `e` while it runs, then
// runs `body`; it exits with 0, or 3 if it could not enter.
template <typename Body>
pid_t ForkRunningGhost(const Enclave& e, int cpu, Body body) {
  const pid_t pid = fork();
  if (pid == 0) {
    PinTo(cpu);
    if (!Enclave(e).AddTask(getpid()).ok()) _exit(3);
    body();
    _exit(0);
  }
  return pid;
}

// A FifoTestAgent on one CPU of an enclave, while the calling thread is
// kept on CPU 0 (the agent's CPU is the helpers').
class CpuAgent {
 public:
  static absl::StatusOr<std::unique_ptr<CpuAgent>> Start(const Enclave& e,
                                                         int cpu) {
    const cpu_set_t saved = PinTo(0);
    absl::StatusOr<std::unique_ptr<FifoTestAgent>> agent =
        FifoTestAgent::Start(e, cpu);
    if (!agent.ok()) {
      sched_setaffinity(0, sizeof(saved), &saved);
      return agent.status();
    }
    return std::unique_ptr<CpuAgent>(new CpuAgent(std::move(*agent), saved));
  }
  // Stops the agent and gives the calling thread its CPUs back.
  ~CpuAgent() {
    agent_.reset();
    sched_setaffinity(0, sizeof(saved_), &saved_);
  }
  CpuAgent(const CpuAgent&) = delete;
  CpuAgent& operator=(const CpuAgent&) = delete;

  FifoTestAgent& agent() { return *agent_; }

 private:
  CpuAgent(std::unique_ptr<FifoTestAgent> agent, cpu_set_t saved)
      : agent_(std::move(agent)), saved_(saved) {}

  std::unique_ptr<FifoTestAgent> agent_;
  cpu_set_t saved_;
};

}  // namespace ghost::testing

#endif  // GHOST_TESTS_VM_RUNNING_GHOST_H_
