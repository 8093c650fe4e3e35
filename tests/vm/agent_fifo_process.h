// AgentFifoProcess: the real agent_fifo binary (or another agent binary in
// the VM), started by a VM test as a user would start it, with its output
// collected for the test to wait on and check.
//
//   AgentFifoProcess agent({"--mode=percpu", "--cpus=1-3", "--enclave=20"});
//   AgentFifoProcess mine({"--cpus=1"}, "/ghost/bin/my_agent");
//   ASSERT_TRUE(agent.WaitForOutput("ready", absl::Seconds(20)));
//   ...
//   agent.Signal(SIGTERM);
//   EXPECT_EQ(agent.WaitExit(absl::Seconds(10)), 0);
#ifndef GHOST_TESTS_VM_AGENT_FIFO_PROCESS_H_
#define GHOST_TESTS_VM_AGENT_FIFO_PROCESS_H_

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace ghost::testing {

class AgentFifoProcess {
 public:
  static constexpr char kBinary[] = "/ghost/bin/agent_fifo";

  explicit AgentFifoProcess(const std::vector<std::string>& args,
                            const char* binary = kBinary) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      dup2(fds[1], 2);
      std::vector<char*> argv = {const_cast<char*>(binary)};
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(binary, argv.data());
      _exit(127);
    }
    close(fds[1]);
    reader_ = std::thread([this, fd = fds[0]] { Read(fd); });
  }

  ~AgentFifoProcess() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (reader_.joinable()) reader_.join();
  }

  pid_t pid() const { return pid_; }

  std::string output() {
    absl::MutexLock lock(&mu_);
    return output_;
  }

  // Waits until the output contains `text`.
  bool WaitForOutput(const std::string& text, absl::Duration limit) {
    absl::MutexLock lock(&mu_);
    auto found = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return output_.find(text) != std::string::npos || eof_;
    };
    mu_.AwaitWithTimeout(absl::Condition(&found), limit);
    return output_.find(text) != std::string::npos;
  }

  void Signal(int sig) { kill(pid_, sig); }

  // Its exit code, or -1 if it did not exit within `limit` (or died of a
  // signal).
  int WaitExit(absl::Duration limit) {
    const absl::Time end = absl::Now() + limit;
    while (absl::Now() < end) {
      int status;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    return -1;
  }

 private:
  void Read(int fd) {
    char buf[512];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
      absl::MutexLock lock(&mu_);
      output_.append(buf, n);
    }
    close(fd);
    absl::MutexLock lock(&mu_);
    eof_ = true;
  }

  pid_t pid_ = -1;
  bool exited_ = false;
  std::thread reader_;
  absl::Mutex mu_;
  std::string output_ ABSL_GUARDED_BY(mu_);
  bool eof_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace ghost::testing

#endif  // GHOST_TESTS_VM_AGENT_FIFO_PROCESS_H_
