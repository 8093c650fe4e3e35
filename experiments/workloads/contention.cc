#include "experiments/workloads/contention.h"

#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"

namespace ghost::workloads {

namespace {

absl::Status Errno(const char* what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// Both ends of two pipes; closed when the last worker lets go (workers
// left running past a deadline may still hold them).
struct Pipes {
  int to_b[2] = {-1, -1};
  int to_a[2] = {-1, -1};
  ~Pipes() {
    for (int fd : {to_b[0], to_b[1], to_a[0], to_a[1]}) {
      if (fd >= 0) close(fd);
    }
  }
};

absl::Status Transfer(int fd, bool write_it) {
  char byte = 1;
  for (;;) {
    const ssize_t n = write_it ? write(fd, &byte, 1) : read(fd, &byte, 1);
    if (n == 1) return absl::OkStatus();
    if (n < 0 && errno == EINTR) continue;
    return n == 0 ? absl::InternalError("the other end closed its pipe")
                  : Errno(write_it ? "write" : "read");
  }
}

}  // namespace

absl::StatusOr<WorkerTimes> YieldLoop(int threads, int64_t ops,
                                      absl::Duration limit) {
  struct Lock {
    std::mutex mu;
    int64_t counter = 0;
  };
  auto lock = std::make_shared<Lock>();
  return RunWorkers(threads, limit,
                    [lock, ops](int, std::atomic<int64_t>& done) {
                      for (int64_t i = 0; i < ops; ++i) {
                        {
                          std::lock_guard<std::mutex> hold(lock->mu);
                          ++lock->counter;
                        }
                        sched_yield();
                        done.fetch_add(1, std::memory_order_relaxed);
                      }
                      return absl::OkStatus();
                    });
}

absl::StatusOr<WorkerTimes> PipePingPong(int64_t ops, absl::Duration limit) {
  auto p = std::make_shared<Pipes>();
  if (pipe(p->to_b) != 0 || pipe(p->to_a) != 0) return Errno("pipe");
  return RunWorkers(
      2, limit, [p, ops](int worker, std::atomic<int64_t>& done) {
        const bool a = worker == 0;
        for (int64_t i = 0; i < ops; ++i) {
          // A sends and waits for the reply; B waits and replies.
          absl::Status s = a ? Transfer(p->to_b[1], true)
                             : Transfer(p->to_b[0], false);
          if (s.ok()) {
            s = a ? Transfer(p->to_a[0], false) : Transfer(p->to_a[1], true);
          }
          if (!s.ok()) return s;
          done.fetch_add(1, std::memory_order_relaxed);
        }
        return absl::OkStatus();
      });
}

}  // namespace ghost::workloads
