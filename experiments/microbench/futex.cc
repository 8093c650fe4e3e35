#include "experiments/microbench/futex.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

namespace ghost::bench {

void FutexWaitFor(std::atomic<int>* word, int value, uint64_t limit_ns) {
  timespec ts = {.tv_sec = time_t(limit_ns / 1000000000),
                 .tv_nsec = long(limit_ns % 1000000000)};
  syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, value, &ts, nullptr, 0);
}

void FutexWake(std::atomic<int>* word) {
  syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

}  // namespace ghost::bench
