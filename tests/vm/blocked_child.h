// BlockedChild: a test helper process for the VM tests.
//
// The child blocks reading a pipe; each byte it reads bumps a counter in
// shared memory, and byte 'q' makes it exit with status 0. While it is a
// ghost thread and no agent exists it must not run (kernel rule K2), which the
// counter shows. The destructor takes it back to CFS before killing it: a
// ghost thread with no agent would not even run to die.
#ifndef GHOST_TESTS_VM_BLOCKED_CHILD_H_
#define GHOST_TESTS_VM_BLOCKED_CHILD_H_

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <new>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/vm/wait_for.h"

namespace ghost::testing {

class BlockedChild {
 public:
  BlockedChild() {
    counter_ = static_cast<std::atomic<int>*>(
        mmap(nullptr, sizeof(std::atomic<int>), PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    new (counter_) std::atomic<int>(0);
    int fds[2];
    pipe(fds);
    pid_ = fork();
    if (pid_ == 0) {
      close(fds[1]);
      char c;
      while (read(fds[0], &c, 1) == 1) {
        counter_->fetch_add(1);
        if (c == 'q') _exit(0);
      }
      _exit(2);
    }
    close(fds[0]);
    wfd_ = fds[1];
    // Pokes never block the test, even when a parked child lets the pipe
    // fill up.
    fcntl(wfd_, F_SETFL, O_NONBLOCK);
    // Blocked for real (off its CPU, in the pipe read), so that a test
    // that moves it into ghost knows what it moves: a thread moved in
    // while it still runs would keep its CPU (K2) and send BLOCKED next.
    if (!WaitUntilBlocked(pid_)) {
      ADD_FAILURE() << "the helper child " << pid_
                    << " did not block in its pipe read within "
                    << kWaitLimit;
    }
  }
  ~BlockedChild() {
    if (pid_ > 0) {
      // A ghost thread with no agent never runs, not even to die: take it
      // back to CFS first.
      struct sched_param param = {.sched_priority = 0};
      sched_setscheduler(pid_, SCHED_OTHER, &param);
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(wfd_);
    munmap(counter_, sizeof(std::atomic<int>));
  }

  pid_t pid() const { return pid_; }
  int count() const { return counter_->load(); }
  void Poke(char c = 'x') { (void)write(wfd_, &c, 1); }

  // Waits (up to `limit`) until the counter reaches `n`.
  bool WaitForCount(int n, absl::Duration limit = kWaitLimit) {
    return WaitFor([&] { return count() >= n; }, limit);
  }

  // Waits for the child to exit; returns its exit status or -1.
  int WaitExit(absl::Duration limit = kWaitLimit) {
    int status;
    if (!WaitFor([&] { return waitpid(pid_, &status, WNOHANG) == pid_; },
                 limit)) {
      return -1;
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:

  std::atomic<int>* counter_;
  pid_t pid_ = -1;
  int wfd_ = -1;
};

}  // namespace ghost::testing

#endif  // GHOST_TESTS_VM_BLOCKED_CHILD_H_
