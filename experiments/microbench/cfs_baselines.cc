#include "experiments/microbench/cfs_baselines.h"

#include <sys/types.h>

#include <atomic>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "experiments/microbench/bench_clock.h"
#include "experiments/microbench/cpu_layout.h"
#include "experiments/microbench/cpu_pin.h"
#include "experiments/microbench/futex.h"
#include "experiments/microbench/thread_state.h"

namespace ghost::bench {

absl::StatusOr<CfsResult> CfsPingPong(int rounds, const BenchLimits& limits) {
  std::atomic<int> turn{0};
  std::atomic<bool> abort{false};
  std::vector<uint64_t> sent(rounds), ran(rounds);
  CfsResult out;
  absl::Status other_status;
  std::thread other([&] {
    other_status = Pin(kAgentCpu);
    for (int i = 0; i < rounds && other_status.ok() && !abort.load(); ++i) {
      while (turn.load() != 1 && !abort.load()) {
        FutexWaitFor(&turn, 0, 100000000);
      }
      ran[i] = NowNs();
      turn.store(0);
      FutexWake(&turn);
    }
  });
  absl::Status status = Pin(kAgentCpu);
  const uint64_t end = NowNs() + limits.measurement_ns();
  for (int i = 0; i < rounds && status.ok(); ++i) {
    sent[i] = NowNs();
    turn.store(1);
    FutexWake(&turn);
    while (turn.load() != 0) {
      FutexWaitFor(&turn, 1, 100000000);
      if (NowNs() > end) {
        status = absl::DeadlineExceededError(
            absl::StrCat("round ", i, " of ", rounds, " did not finish within ",
                         limits.measurement_limit_s, " s"));
        break;
      }
    }
    if (status.ok()) out.round_trip.push_back(NowNs() - sent[i]);
  }
  abort.store(true);
  turn.store(1);
  FutexWake(&turn);
  other.join();
  (void)Pin(0);
  if (!other_status.ok()) return other_status;
  if (!status.ok()) return status;
  for (int i = 0; i < rounds; ++i) out.wake_to_run.push_back(ran[i] - sent[i]);
  return out;
}

absl::StatusOr<CfsResult> CfsCrossCpuWakeup(int rounds,
                                            const BenchLimits& limits) {
  std::atomic<int> word{0};
  std::atomic<uint64_t> woke{0};
  std::atomic<int> waiting{0};
  std::atomic<bool> abort{false};
  std::atomic<pid_t> wakee_tid{0};
  absl::Status wakee_status;
  std::thread wakee([&] {
    wakee_status = Pin(2);
    wakee_tid.store(Gettid());
    while (wakee_status.ok() && !abort.load()) {
      waiting.store(1);
      while (word.load() == 0 && !abort.load()) {
        FutexWaitFor(&word, 0, 100000000);
      }
      woke.store(NowNs());
      word.store(0);
    }
  });
  CfsResult out;
  absl::Status status = Pin(kAgentCpu);
  for (int i = 0; i < rounds && status.ok(); ++i) {
    const uint64_t end = NowNs() + limits.wait_ns();
    while (waiting.exchange(0) == 0 && status.ok()) {
      if (NowNs() > end) {
        status = absl::DeadlineExceededError(
            absl::StrCat("round ", i, ": the wakee did not wait again within ",
                         limits.wait_limit_ms, " ms"));
      }
    }
    if (!status.ok()) break;
    // Time the wakeup of a sleeping thread, not a thread on its way to
    // sleep (that would be a cheaper, different path).
    status =
        WaitAsleep(wakee_tid.load(), "the CFS wakee", limits.wait_limit_ms);
    if (!status.ok()) break;
    woke.store(0);
    const uint64_t t0 = NowNs();
    word.store(1);
    FutexWake(&word);
    const uint64_t t1 = NowNs();
    while (woke.load() == 0) {
      if (NowNs() > t0 + limits.wait_ns()) {
        status = absl::DeadlineExceededError(
            absl::StrCat("round ", i, ": the woken thread did not run within ",
                         limits.wait_limit_ms, " ms"));
        break;
      }
    }
    if (!status.ok()) break;
    out.wake_to_run.push_back(woke.load() - t0);
    out.wake_syscall.push_back(t1 - t0);
  }
  abort.store(true);
  word.store(1);
  FutexWake(&word);
  wakee.join();
  (void)Pin(0);
  if (!wakee_status.ok()) return wakee_status;
  if (!status.ok()) return status;
  return out;
}

}  // namespace ghost::bench
