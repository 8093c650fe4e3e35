#include "experiments/rocksdb/load_server.h"

#include <pthread.h>
#include <sys/prctl.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "experiments/rocksdb/cpu_clock.h"
#include "experiments/rocksdb/cpu_padding.h"
#include "experiments/rocksdb/futex_word.h"
#include "experiments/rocksdb/poisson_schedule.h"

namespace ghost::rocksdb_exp {

// One request's stamps; `finished_ns` is the release point of the others.
struct LoadServer::Slot {
  Kind kind = Kind::kGet;
  uint32_t key = 0;
  int64_t scheduled_ns = 0;
  int64_t generated_ns = 0;
  int64_t dispatched_ns = 0;
  int64_t started_ns = 0;
  int64_t work_cpu_ns = 0;
  int64_t service_cpu_ns = 0;
  bool overshot = false;
  bool db_ok = true;
  std::atomic<int64_t> finished_ns{0};
};

struct LoadServer::Worker {
  std::thread thread;
  pthread_t handle{};
  pid_t tid = 0;
  absl::Status placed;
  std::atomic<bool> idle{true};
  Slot* request = nullptr;        // set by the dispatcher before `bell`
  std::atomic<uint32_t> bell{0};  // bumped per request and at stop
  int64_t cpu_at_window_start = 0;
};

namespace {

void Pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof(set), &set);
}

void SleepUntil(int64_t t_ns) {
  timespec ts = {.tv_sec = static_cast<time_t>(t_ns / 1'000'000'000),
                 .tv_nsec = static_cast<long>(t_ns % 1'000'000'000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) ==
         EINTR) {
  }
}

int64_t ThreadCpuOf(pthread_t t) {
  clockid_t id;
  timespec ts;
  if (pthread_getcpuclockid(t, &id) != 0 || clock_gettime(id, &ts) != 0) {
    return 0;
  }
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

LoadServer::LoadServer(Database& db, const ServerOptions& options)
    : db_(db), options_(options) {
  // Mean arrivals plus 10 standard deviations and a margin: running out
  // would be reported, not hidden, but should not happen.
  const double mean =
      options_.rate_per_s * (options_.warmup_s + options_.duration_s + 0.1);
  capacity_ = static_cast<size_t>(mean + 10 * std::sqrt(mean) + 1000);
  slots_ = std::make_unique<Slot[]>(capacity_);
}

LoadServer::~LoadServer() {
  if (Stop(10) == 0) return;
  // A worker that never exits cannot be joined, and may still write into
  // its request and its Worker: leave both allocated (the process is
  // ending anyway).
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.detach();
    w.release();
  }
  slots_.release();
}

absl::Status LoadServer::Start() {
  for (int i = 0; i < options_.workers; ++i) {
    workers_.push_back(std::make_unique<Worker>());
  }
  for (auto& w : workers_) {
    Worker* wp = w.get();
    w->thread = std::thread([this, wp] { WorkerMain(*wp); });
    w->handle = w->thread.native_handle();
  }
  const int64_t deadline = MonotonicNs() + 30'000'000'000;
  while (ready_.load() < options_.workers && MonotonicNs() < deadline) {
    SleepUntil(MonotonicNs() + 1'000'000);
  }
  if (ready_.load() < options_.workers) {
    return absl::DeadlineExceededError(
        absl::StrCat(options_.workers - ready_.load(), " of ", options_.workers,
                     " workers did not start within 30 s"));
  }
  for (auto& w : workers_) {
    if (!w->placed.ok()) return w->placed;
  }
  return absl::OkStatus();
}

void LoadServer::WorkerMain(Worker& w) {
  w.tid = ThisTid();
  w.placed = PlaceThisThread(options_.worker_placement);
  uint32_t seen = w.bell.load(std::memory_order_acquire);
  ready_.fetch_add(1);
  while (true) {
    while (w.bell.load(std::memory_order_acquire) == seen) {
      FutexWait(&w.bell, seen);
    }
    seen = w.bell.load(std::memory_order_acquire);
    if (stop_.load(std::memory_order_acquire)) break;
    Serve(*w.request, w);
  }
  exited_.fetch_add(1);
}

void LoadServer::Serve(Slot& slot, Worker& w) {
  slot.started_ns = MonotonicNs();
  const int64_t cpu0 = ThreadCpuNs();
  int64_t target;
  if (slot.kind == Kind::kGet) {
    slot.db_ok = db_.Get(slot.key);
    target = options_.get_ns;
  } else {
    slot.db_ok = db_.Range(slot.key, options_.range_len) == options_.range_len;
    target = options_.range_ns;
  }
  const PadResult pad = PadToCpu(cpu0, target);
  slot.work_cpu_ns = pad.work_cpu_ns;
  slot.service_cpu_ns = pad.total_cpu_ns;
  slot.overshot = pad.overshot;
  slot.finished_ns.store(MonotonicNs(), std::memory_order_release);
  w.idle.store(true, std::memory_order_release);
  RingDoorbell();
}

void LoadServer::RingDoorbell() {
  doorbell_.fetch_add(1, std::memory_order_seq_cst);
  if (dispatcher_asleep_.load(std::memory_order_seq_cst)) {
    FutexWakeAll(&doorbell_);
  }
}

void LoadServer::GeneratorMain(int64_t start_ns, int64_t end_ns) {
  Pin(options_.control_cpu);
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);  // wake on time, not 50 us late
  PoissonSchedule arrivals(options_.rate_per_s, options_.seed, start_ns);
  std::mt19937_64 rng(options_.seed * 7919 + 1);
  std::bernoulli_distribution is_range(options_.range_fraction);
  std::uniform_int_distribution<uint32_t> get_key(
      0, static_cast<uint32_t>(db_.keys() - 1));
  const int64_t range_starts =
      std::max<int64_t>(1, db_.keys() - options_.range_len);
  std::uniform_int_distribution<uint32_t> range_key(
      0, static_cast<uint32_t>(range_starts - 1));
  size_t n = 0;
  for (;;) {
    const int64_t t = arrivals.Next();
    if (t >= end_ns) break;
    if (n == capacity_) {
      generator_ran_out_ = true;
      break;
    }
    if (MonotonicNs() < t) SleepUntil(t);
    Slot& s = slots_[n];
    s.kind = is_range(rng) ? Kind::kRange : Kind::kGet;
    s.key = s.kind == Kind::kGet ? get_key(rng) : range_key(rng);
    s.scheduled_ns = t;
    s.generated_ns = MonotonicNs();
    generator_max_lag_ns_ = std::max(generator_max_lag_ns_, s.generated_ns - t);
    published_.store(++n, std::memory_order_release);
    RingDoorbell();
  }
  generator_done_.store(true, std::memory_order_release);
  RingDoorbell();
}

bool LoadServer::DispatchOne(Slot& slot) {
  const size_t n = workers_.size();
  for (size_t i = 0; i < n; ++i) {
    Worker& w = *workers_[(next_idle_scan_ + i) % n];
    if (!w.idle.load(std::memory_order_acquire)) continue;
    next_idle_scan_ = (next_idle_scan_ + i + 1) % n;
    w.idle.store(false, std::memory_order_relaxed);
    w.request = &slot;
    slot.dispatched_ns = MonotonicNs();
    w.bell.fetch_add(1, std::memory_order_release);
    FutexWakeAll(&w.bell);
    return true;
  }
  return false;
}

int64_t LoadServer::WorkerCpuNs() {
  int64_t sum = 0;
  for (auto& w : workers_) sum += ThreadCpuOf(w->handle);
  return sum;
}

LoadOutcome LoadServer::Run() {
  Pin(options_.control_cpu);
  LoadOutcome out;
  const int64_t start = MonotonicNs() + 50'000'000;
  out.window.start_ns = start + static_cast<int64_t>(options_.warmup_s * 1e9);
  out.window.end_ns =
      out.window.start_ns + static_cast<int64_t>(options_.duration_s * 1e9);
  const int64_t drain_end =
      out.window.end_ns + static_cast<int64_t>(options_.drain_s * 1e9);
  std::thread generator(
      [this, start, &out] { GeneratorMain(start, out.window.end_ns); });

  size_t next = 0;
  int64_t cpu_start = -1, cpu_start_at = 0, cpu_end = -1, cpu_end_at = 0;
  for (;;) {
    const uint32_t bell = doorbell_.load(std::memory_order_seq_cst);
    bool progress = false;
    const size_t avail = published_.load(std::memory_order_acquire);
    while (next < avail && DispatchOne(slots_[next])) {
      ++next;
      progress = true;
    }
    const int64_t now = MonotonicNs();
    if (cpu_start < 0 && now >= out.window.start_ns) {
      cpu_start = WorkerCpuNs();
      cpu_start_at = now;
    }
    if (cpu_end < 0 && now >= out.window.end_ns) {
      cpu_end = WorkerCpuNs();
      cpu_end_at = now;
    }
    if (now >= drain_end) break;
    if (generator_done_.load(std::memory_order_acquire) && next == avail &&
        cpu_end >= 0 &&
        std::all_of(workers_.begin(), workers_.end(), [](const auto& w) {
          return w->idle.load(std::memory_order_acquire);
        })) {
      break;  // everything served before the drain's end
    }
    if (progress) continue;
    dispatcher_asleep_.store(true, std::memory_order_seq_cst);
    if (doorbell_.load(std::memory_order_seq_cst) == bell) {
      // Bounded, so the window's CPU readings and the drain's end are
      // taken within 5 ms of their time.
      FutexWait(&doorbell_, bell, 5'000'000);
    }
    dispatcher_asleep_.store(false, std::memory_order_seq_cst);
  }
  generator.join();
  if (cpu_start >= 0 && cpu_end >= 0 && cpu_end_at > cpu_start_at) {
    out.worker_cpu_ns = static_cast<int64_t>(
        static_cast<double>(cpu_end - cpu_start) *
        static_cast<double>(out.window.end_ns - out.window.start_ns) /
        static_cast<double>(cpu_end_at - cpu_start_at));
  }
  const size_t generated = published_.load(std::memory_order_acquire);
  out.records.reserve(generated);
  for (size_t i = 0; i < generated; ++i) {
    Slot& s = slots_[i];
    RequestRecord r;
    r.finished_ns = s.finished_ns.load(std::memory_order_acquire);
    r.kind = s.kind;
    r.scheduled_ns = s.scheduled_ns;
    r.generated_ns = s.generated_ns;
    if (r.finished_ns != 0) {
      r.dispatched_ns = s.dispatched_ns;
      r.started_ns = s.started_ns;
      r.work_cpu_ns = s.work_cpu_ns;
      r.service_cpu_ns = s.service_cpu_ns;
      r.overshot = s.overshot;
      r.db_ok = s.db_ok;
    }
    out.records.push_back(r);
  }
  out.generator_max_lag_ns = generator_max_lag_ns_;
  out.generator_ran_out = generator_ran_out_;
  for (auto& w : workers_) out.worker_tids.push_back(w->tid);
  return out;
}

int LoadServer::Stop(double limit_s) {
  if (!stop_.exchange(true)) {
    for (auto& w : workers_) {
      w->bell.fetch_add(1, std::memory_order_release);
      FutexWakeAll(&w->bell);
    }
  }
  const int64_t deadline = MonotonicNs() + static_cast<int64_t>(limit_s * 1e9);
  const int want = static_cast<int>(workers_.size());
  while (exited_.load() < want && MonotonicNs() < deadline) {
    SleepUntil(MonotonicNs() + 2'000'000);
  }
  const int left = want - exited_.load();
  if (left == 0) {
    for (auto& w : workers_) {
      if (w->thread.joinable()) w->thread.join();
    }
  }
  return left;
}

}  // namespace ghost::rocksdb_exp
