#include "experiments/rocksdb/calibration.h"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "experiments/rocksdb/cpu_clock.h"
#include "experiments/rocksdb/futex_word.h"

namespace ghost::rocksdb_exp {
namespace {

int64_t Median(std::vector<int64_t> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int64_t MedianGetCpuNs(Database& db, int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<uint32_t> key(
      0, static_cast<uint32_t>(db.keys() - 1));
  std::vector<int64_t> v;
  for (int i = 0; i < n; ++i) {
    const int64_t c0 = ThreadCpuNs();
    db.Get(key(rng));
    v.push_back(ThreadCpuNs() - c0);
  }
  return Median(v);
}

int64_t MedianRangeCpuNs(Database& db, int n, int len, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<uint32_t> key(
      0, static_cast<uint32_t>(std::max<int64_t>(1, db.keys() - len) - 1));
  std::vector<int64_t> v;
  for (int i = 0; i < n; ++i) {
    const int64_t c0 = ThreadCpuNs();
    db.Range(key(rng), len);
    v.push_back(ThreadCpuNs() - c0);
  }
  return Median(v);
}

absl::StatusOr<int64_t> MeasureWakeRoundTrip(const ThreadPlacement& worker,
                                             int control_cpu, int rounds) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(control_cpu, &set);
  sched_setaffinity(0, sizeof(set), &set);

  // Shared with the thread by ownership: if it never answers it is left
  // running, and must not point into this frame.
  struct Shared {
    std::atomic<uint32_t> ping{0}, pong{0};
    std::atomic<int> state{0};  // 0 starting, 1 placed, -1 failed
    absl::Status placed;
  };
  auto s = std::make_shared<Shared>();
  std::thread t([s, worker, rounds] {
    s->placed = PlaceThisThread(worker);
    s->state.store(s->placed.ok() ? 1 : -1);
    if (!s->placed.ok()) return;
    for (uint32_t i = 1; i <= static_cast<uint32_t>(rounds) + 1; ++i) {
      while (s->ping.load(std::memory_order_acquire) < i) {
        FutexWait(&s->ping, i - 1);
      }
      s->pong.store(i, std::memory_order_release);
      FutexWakeAll(&s->pong);
    }
  });
  while (s->state.load() == 0) sched_yield();
  if (s->state.load() < 0) {
    t.join();
    return s->placed;
  }
  std::vector<int64_t> v;
  absl::Status failure;
  // Round 1 is a warm-up (first wakeup of the thread in its new class).
  for (uint32_t i = 1; i <= static_cast<uint32_t>(rounds) + 1; ++i) {
    const int64_t t0 = MonotonicNs();
    s->ping.store(i, std::memory_order_release);
    FutexWakeAll(&s->ping);
    while (s->pong.load(std::memory_order_acquire) < i) {
      if (MonotonicNs() - t0 > 5'000'000'000) {
        failure = absl::DeadlineExceededError(absl::StrCat(
            "round ", i, ": the worker did not answer within 5 s"));
        break;
      }
      FutexWait(&s->pong, i - 1, 100'000'000);
    }
    if (!failure.ok()) break;
    if (i > 1) v.push_back(MonotonicNs() - t0);
  }
  if (!failure.ok()) {
    t.detach();
    return failure;
  }
  t.join();
  return Median(v);
}

absl::StatusOr<double> MeasureDispatchCapacity(Database& db,
                                               const ServerOptions& base,
                                               double seconds) {
  ServerOptions o = base;
  o.get_ns = 0;
  o.range_ns = 0;
  o.range_fraction = 0;
  o.rate_per_s = 50'000;  // far above what a VM's dispatcher carries
  o.warmup_s = 0.3;
  o.duration_s = seconds;
  o.drain_s = 0.2;
  LoadServer server(db, o);
  absl::Status s = server.Start();
  if (!s.ok()) return s;
  const LoadOutcome out = server.Run();
  int64_t done = 0;
  for (const RequestRecord& r : out.records) {
    done += r.finished_ns >= out.window.start_ns &&
            r.finished_ns < out.window.end_ns;
  }
  const int left = server.Stop(10);
  if (left > 0) {
    return absl::DeadlineExceededError(absl::StrCat(
        left, " workers did not exit within 10 s after the capacity run"));
  }
  return static_cast<double>(done) / seconds;
}

}  // namespace ghost::rocksdb_exp
