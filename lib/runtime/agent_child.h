// AgentChild: an agent run in a child process of its own, as every agent
// must be (an agent sharing an address space with the threads it schedules
// can deadlock on its mmap lock; lib/runtime/agent_process_setup.h). For
// programs that start an agent next to the threads it will schedule: the
// VM tests' FIFO test agent, the microbenchmarks.
//
//   SharedBlock<Report> report;                 // before the fork
//   absl::StatusOr<std::unique_ptr<AgentChild>> agent = AgentChild::Start(
//       [&] { return RunAgent(*report); });     // in the child
//   ...
//   report->stop.store(true);
//   (*agent)->Stop();   // nudges it until it sees `stop` and exits
//
// The child starts with the nudge signal installed (InstallNudgeSignal):
// Stop() sends it until the child exits, so an agent asleep in ghost_run()
// wakes (EINTR) and looks at its stop flag; a nudge that lands while it is
// awake is lost, hence the repeats.
#ifndef GHOST_LIB_RUNTIME_AGENT_CHILD_H_
#define GHOST_LIB_RUNTIME_AGENT_CHILD_H_

#include <signal.h>
#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ghost {

class AgentChild {
 public:
  static constexpr int kNudgeSignal = SIGUSR1;

  // Forks; the child installs the nudge signal, runs `body` and exits with
  // what it returns.
  static absl::StatusOr<std::unique_ptr<AgentChild>> Start(
      const std::function<int()>& body);

  // Stops it if it still runs (Stop()).
  ~AgentChild();
  AgentChild(const AgentChild&) = delete;
  AgentChild& operator=(const AgentChild&) = delete;

  pid_t pid() const { return pid_; }

  // Its wait status once it has exited (without waiting); nullopt while it
  // runs.
  std::optional<int> Exited();

  // Nudges it every 10 ms until it exits, for at most `limit`, then kills
  // it (SIGKILL). True if it exited by itself. Tell it to stop first (a
  // flag in shared memory): a nudge only wakes it.
  bool Stop(absl::Duration limit = absl::Seconds(5));

 private:
  explicit AgentChild(pid_t pid) : pid_(pid) {}

  const pid_t pid_;
  std::optional<int> status_;  // set once reaped
};

}  // namespace ghost

#endif  // GHOST_LIB_RUNTIME_AGENT_CHILD_H_
