// CfsHog: a CFS thread that spins on one CPU until stopped. CFS outranks
// the ghost class, so while it runs, a ghost thread latched on that CPU
// waits there, latched and not running, for as long as a test wants.
//
//   CfsHog hog(2);   // returns once the hog spins on CPU 2
//   ... latch a thread on CPU 2 ...
//   hog.Stop();      // the latch may run now
#ifndef GHOST_TESTS_VM_CFS_HOG_H_
#define GHOST_TESTS_VM_CFS_HOG_H_

#include <atomic>
#include <thread>

#include "tests/vm/vm_helpers.h"
#include "tests/vm/wait_for.h"

namespace ghost::testing {

class CfsHog {
 public:
  explicit CfsHog(int cpu)
      : thread_([this, cpu] {
          PinTo(cpu);
          running_.store(true);
          while (!stop_.load()) {
          }
        }) {
    (void)WaitFor([this] { return running_.load(); });
  }
  ~CfsHog() { Stop(); }
  CfsHog(const CfsHog&) = delete;
  CfsHog& operator=(const CfsHog&) = delete;

  void Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::atomic<bool> running_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace ghost::testing

#endif  // GHOST_TESTS_VM_CFS_HOG_H_
