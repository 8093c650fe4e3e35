#include "experiments/workloads/workers.h"

#include <time.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace ghost::workloads {

double NowSeconds() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

namespace {

// What the workers share with the waiting caller. Held by shared_ptr so
// that workers left running after a deadline never touch freed memory.
struct Shared {
  explicit Shared(int n) : done(n), start(n, 0), end(n, 0), status(n) {}
  absl::Mutex mu;
  bool go ABSL_GUARDED_BY(mu) = false;
  int finished ABSL_GUARDED_BY(mu) = 0;
  std::vector<std::atomic<int64_t>> done;
  std::vector<double> start, end;          // written by each worker
  std::vector<absl::Status> status ABSL_GUARDED_BY(mu);
};

void Work(std::shared_ptr<Shared> s, int worker, WorkerFn fn) {
  {
    absl::MutexLock lock(&s->mu);
    s->mu.Await(absl::Condition(&s->go));
  }
  s->start[worker] = NowSeconds();
  absl::Status st = fn(worker, s->done[worker]);
  s->end[worker] = NowSeconds();
  absl::MutexLock lock(&s->mu);
  s->status[worker] = std::move(st);
  ++s->finished;
}

}  // namespace

absl::StatusOr<WorkerTimes> RunWorkers(int n, absl::Duration limit,
                                       const WorkerFn& fn) {
  auto s = std::make_shared<Shared>(n);
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (int i = 0; i < n; ++i) threads.emplace_back(Work, s, i, fn);
  {
    absl::MutexLock lock(&s->mu);
    s->go = true;
  }
  const auto all_done = [&s, n] {
    s->mu.AssertHeld();
    return s->finished == n;
  };
  bool finished;
  {
    absl::MutexLock lock(&s->mu);
    finished = s->mu.AwaitWithTimeout(absl::Condition(&all_done), limit);
  }
  if (!finished) {
    std::string progress;
    for (int i = 0; i < n; ++i) {
      absl::StrAppend(&progress, i ? ", " : "", "worker ", i, ": ",
                      s->done[i].load(), " done");
    }
    for (auto& t : threads) t.detach();
    return absl::DeadlineExceededError(absl::StrCat(
        "not finished after ", absl::FormatDuration(limit), " (", progress,
        ")"));
  }
  for (auto& t : threads) t.join();
  WorkerTimes out;
  double first = 0, last = 0;
  absl::MutexLock lock(&s->mu);
  for (int i = 0; i < n; ++i) {
    if (!s->status[i].ok()) return s->status[i];
    first = i == 0 ? s->start[i] : std::min(first, s->start[i]);
    last = std::max(last, s->end[i]);
    out.each.push_back(s->end[i] - s->start[i]);
    out.ops += s->done[i].load();
  }
  out.seconds = last - first;
  return out;
}

}  // namespace ghost::workloads
