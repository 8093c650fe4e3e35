#include "lib/runtime/agent_child.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "absl/time/clock.h"
#include "lib/runtime/agent_process_setup.h"
#include "lib/util/errno_status.h"

namespace ghost {

absl::StatusOr<std::unique_ptr<AgentChild>> AgentChild::Start(
    const std::function<int()>& body) {
  const pid_t pid = fork();
  if (pid < 0) return ErrnoStatus(errno, "fork the agent process");
  if (pid == 0) {
    InstallNudgeSignal(kNudgeSignal);
    _exit(body());
  }
  return std::unique_ptr<AgentChild>(new AgentChild(pid));
}

AgentChild::~AgentChild() {
  if (!status_.has_value()) Stop();
}

std::optional<int> AgentChild::Exited() {
  if (status_.has_value()) return status_;
  int status;
  if (waitpid(pid_, &status, WNOHANG) == pid_) status_ = status;
  return status_;
}

bool AgentChild::Stop(absl::Duration limit) {
  const absl::Time end = absl::Now() + limit;
  while (!Exited().has_value()) {
    if (absl::Now() >= end) {
      kill(pid_, SIGKILL);
      int status;
      waitpid(pid_, &status, 0);
      status_ = status;
      return false;
    }
    kill(pid_, kNudgeSignal);
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

}  // namespace ghost
