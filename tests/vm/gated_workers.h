// GatedWorkers: threads that start, wait at a gate while the test moves
// them into an enclave, then run a body when released, and count
// themselves done.
//
//   GatedWorkers w(2, [&](int i) { ... });
//   ASSERT_TRUE(w.MoveInto(enclave).ok());
//   w.Release();
//   EXPECT_TRUE(w.AllDoneWithin(absl::Seconds(10)));
#ifndef GHOST_TESTS_VM_GATED_WORKERS_H_
#define GHOST_TESTS_VM_GATED_WORKERS_H_

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "lib/abi/enclave.h"
#include "tests/vm/vm_helpers.h"
#include "tests/vm/wait_for.h"

namespace ghost::testing {

class GatedWorkers {
 public:
  template <typename Body>
  GatedWorkers(int n, Body body) : tids_(n) {
    for (int i = 0; i < n; ++i) {
      threads_.emplace_back([this, i, body] {
        tids_[i].store(static_cast<pid_t>(syscall(SYS_gettid)));
        while (gate_.load() == 0) gate_.wait(0);
        body(i);
        done_.fetch_add(1);
      });
    }
    // Each enters blocked at the gate (one moved in running would keep
    // its CPU, K2).
    for (auto& tid : tids_) {
      if (!WaitFor([&] { return tid.load() != 0; }) ||
          !WaitUntilBlocked(tid.load())) {
        ADD_FAILURE() << "a worker did not block at its gate";
      }
    }
  }
  ~GatedWorkers() {
    Release();
    // Anything still in ghost goes back to CFS so it can finish.
    if (!AllDoneWithin(absl::ZeroDuration())) {
      for (auto& tid : tids_) MoveToCfs(tid.load());
    }
    for (auto& t : threads_) t.join();
  }
  GatedWorkers(const GatedWorkers&) = delete;
  GatedWorkers& operator=(const GatedWorkers&) = delete;

  absl::Status MoveInto(Enclave& e) {
    for (auto& tid : tids_) {
      if (absl::Status s = e.AddTask(tid.load()); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  // Wakes every worker at once (a futex wake-all).
  void Release() {
    gate_.store(1);
    gate_.notify_all();
  }
  bool AllDoneWithin(absl::Duration limit) {
    return WaitFor(
        [&] { return done_.load() == static_cast<int>(threads_.size()); },
        limit);
  }
  int done() const { return done_.load(); }
  pid_t tid(int i) const { return tids_[i].load(); }

 private:
  std::vector<std::atomic<pid_t>> tids_;
  std::vector<std::thread> threads_;
  std::atomic<int> gate_{0};
  std::atomic<int> done_{0};
};

}  // namespace ghost::testing

#endif  // GHOST_TESTS_VM_GATED_WORKERS_H_
