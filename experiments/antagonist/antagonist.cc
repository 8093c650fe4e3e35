// antagonist: threads that each want a share of a CPU (--want, 1.0: all
// of it) and measure what they got. A best-effort batch job beside the
// latency-sensitive RocksDB server: under CFS at nice 19 against RocksDB's
// workers at nice -20, under ghost inside the same enclave (docs/
// experiments.md says what each mode gives it).
//
// The main thread stays on --control_cpu under CFS and samples every
// thread's CPU clock each --sample_ms; on SIGTERM or SIGINT (or after
// --max_s) it writes the samples and a summary to --json and exits.
//
//   antagonist --threads=3 --cpus=1-3 --nice=19 --json=/tmp/a.json &
//   antagonist --threads=3 --cpus=1-3 --enclave=1 --json=/tmp/a.json &
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_format.h"
#include "experiments/antagonist/cpu_share.h"
#include "experiments/rocksdb/cpu_clock.h"
#include "lib/util/json_writer.h"
#include "experiments/rocksdb/thread_setup.h"
#include "lib/util/cpu_list.h"

ABSL_FLAG(int, threads, 3, "Antagonist threads.");
ABSL_FLAG(double, want, 1.0,
          "CPU share each thread wants: 1.0 spins, less runs that fraction "
          "of each --period_ms and sleeps the rest.");
ABSL_FLAG(int, period_ms, 10, "Period of a thread that wants less than 1.");
ABSL_FLAG(std::string, cpus, "1-3", "The threads' CPUs.");
ABSL_FLAG(int, control_cpu, 0, "CPU of the sampling main thread.");
ABSL_FLAG(int, nice, 0, "Nice value of the threads (CFS).");
ABSL_FLAG(int, enclave, -1, "Move the threads into this ghost enclave.");
ABSL_FLAG(int, qos, -1,
          "With --enclave: the threads' QoS class (0 first) in a hint "
          "region handed to the agent (a policy with classes: shinjuku).");
ABSL_FLAG(std::string, mode, "cfs", "Name of the mode, for the report.");
ABSL_FLAG(int, sample_ms, 50, "Sampling period of the CPU clocks.");
ABSL_FLAG(double, max_s, 600, "Stop after this long even without a signal.");
ABSL_FLAG(std::string, json, "", "Write the samples and summary here.");

namespace ghost::antagonist {
namespace {

using rocksdb_exp::MonotonicNs;
using rocksdb_exp::ThreadCpuNs;

std::atomic<bool> g_stop{false};
std::atomic<int> g_placed{0};
std::atomic<int> g_failed{0};

void Body(const rocksdb_exp::ThreadPlacement& placement, double want,
          int64_t period_ns) {
  absl::Status s = rocksdb_exp::PlaceThisThread(placement);
  if (!s.ok()) {
    std::fprintf(stderr, "antagonist: %s\n", std::string(s.message()).c_str());
    g_failed.fetch_add(1);
    return;
  }
  g_placed.fetch_add(1);
  if (want >= 1.0) {
    while (!g_stop.load(std::memory_order_relaxed)) {
    }
    return;
  }
  const int64_t run_ns = static_cast<int64_t>(want * period_ns);
  int64_t next = MonotonicNs();
  while (!g_stop.load(std::memory_order_relaxed)) {
    const int64_t c0 = ThreadCpuNs();
    while (ThreadCpuNs() - c0 < run_ns) {
    }
    next += period_ns;
    const int64_t now = MonotonicNs();
    if (next < now) next = now;  // starved: no catching up
    timespec ts = {.tv_sec = static_cast<time_t>(next / 1'000'000'000),
                   .tv_nsec = static_cast<long>(next % 1'000'000'000)};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
  }
}

int64_t CpuOf(pthread_t t) {
  clockid_t id;
  timespec ts;
  if (pthread_getcpuclockid(t, &id) != 0 || clock_gettime(id, &ts) != 0) {
    return 0;
  }
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

std::string Json(const std::vector<ShareSample>& samples,
                 const std::vector<double>& shares) {
  JsonWriter j;
  j.BeginObject();
  j.Key("experiment");
  j.String("antagonist");
  j.Key("mode");
  j.String(absl::GetFlag(FLAGS_mode));
  j.Key("threads");
  j.Int(absl::GetFlag(FLAGS_threads));
  j.Key("want");
  j.Double(absl::GetFlag(FLAGS_want));
  j.Key("cpus");
  j.String(absl::GetFlag(FLAGS_cpus));
  j.Key("nice");
  j.Int(absl::GetFlag(FLAGS_nice));
  j.Key("enclave");
  j.Int(absl::GetFlag(FLAGS_enclave));
  j.Key("lifetime_shares");
  j.BeginArray();
  for (double s : shares) j.Double(s);
  j.EndArray();
  j.Key("samples");  // [t_ns, cpu_ns of thread 0, 1, ...]
  j.BeginArray();
  for (const ShareSample& s : samples) {
    j.BeginArray();
    j.Int(s.t_ns);
    for (int64_t c : s.cpu_ns) j.Int(c);
    j.EndArray();
  }
  j.EndArray();
  j.EndObject();
  return j.str() + "\n";
}

int Main() {
  absl::StatusOr<std::vector<int>> cpus =
      ParseCpuList(absl::GetFlag(FLAGS_cpus));
  const int n = absl::GetFlag(FLAGS_threads);
  const double want = absl::GetFlag(FLAGS_want);
  if (!cpus.ok() || cpus->empty() || n <= 0 || want <= 0 || want > 1 ||
      absl::GetFlag(FLAGS_period_ms) <= 0 ||
      absl::GetFlag(FLAGS_sample_ms) <= 0) {
    std::fprintf(stderr,
                 "antagonist: need a CPU list, --threads > 0, --want in "
                 "(0, 1], positive periods\n");
    return 2;
  }
  // The signals are taken by sigtimedwait in the main thread only.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  rocksdb_exp::ThreadPlacement control{
      .cpus = {absl::GetFlag(FLAGS_control_cpu)}};
  absl::Status s = rocksdb_exp::PlaceThisThread(control);
  if (!s.ok()) {
    std::fprintf(stderr, "antagonist: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  const rocksdb_exp::ThreadPlacement placement{
      .cpus = *cpus,
      .nice = absl::GetFlag(FLAGS_nice),
      .set_nice = absl::GetFlag(FLAGS_nice) != 0,
      .enclave = absl::GetFlag(FLAGS_enclave),
      .qos = absl::GetFlag(FLAGS_qos)};
  const int64_t period_ns = int64_t{absl::GetFlag(FLAGS_period_ms)} * 1'000'000;
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back(Body, placement, want, period_ns);
  }
  const int64_t start = MonotonicNs();
  while (g_placed.load() + g_failed.load() < n) {
    if (MonotonicNs() - start > 30'000'000'000) break;
    timespec ts = {0, 1'000'000};
    nanosleep(&ts, nullptr);
  }
  if (g_failed.load() > 0 || g_placed.load() < n) {
    std::fprintf(stderr, "antagonist: %d of %d threads could not be placed\n",
                 n - g_placed.load(), n);
    std::_Exit(1);  // threads may spin forever; do not join them
  }
  std::printf(
      "antagonist: %d threads wanting %.2f CPU each on CPUs %s "
      "(%s)\n",
      n, want, absl::GetFlag(FLAGS_cpus).c_str(),
      absl::GetFlag(FLAGS_mode).c_str());
  std::fflush(stdout);
  std::vector<ShareSample> samples;
  const int64_t sample_ns = int64_t{absl::GetFlag(FLAGS_sample_ms)} * 1'000'000;
  const int64_t end =
      MonotonicNs() + static_cast<int64_t>(absl::GetFlag(FLAGS_max_s) * 1e9);
  for (;;) {
    ShareSample sample;
    sample.t_ns = MonotonicNs();
    for (std::thread& t : threads)
      sample.cpu_ns.push_back(CpuOf(t.native_handle()));
    samples.push_back(std::move(sample));
    if (samples.back().t_ns >= end) break;
    const timespec ts = {
        .tv_sec = static_cast<time_t>(sample_ns / 1'000'000'000),
        .tv_nsec = static_cast<long>(sample_ns % 1'000'000'000)};
    if (sigtimedwait(&signals, nullptr, &ts) > 0) break;
  }
  g_stop.store(true);
  const std::vector<double> shares =
      SharesBetween(samples.front(), samples.back());
  std::printf(
      "antagonist: got %.2f CPUs in all over %.1f s:", TotalCpus(shares),
      (samples.back().t_ns - samples.front().t_ns) / 1e9);
  for (double sh : shares) std::printf(" %.2f", sh);
  std::printf("\n");
  std::fflush(stdout);
  const std::string path = absl::GetFlag(FLAGS_json);
  int rc = 0;
  if (!path.empty()) {
    std::ofstream out(path);
    out << Json(samples, shares);
    out.close();
    if (!out) {
      std::fprintf(stderr, "antagonist: cannot write %s\n", path.c_str());
      rc = 1;
    }
  }
  // Threads starved in an enclave may not see g_stop soon; exit without
  // joining (the process's exit ends them).
  std::fflush(nullptr);
  std::_Exit(rc);
}

}  // namespace
}  // namespace ghost::antagonist

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Threads that want a CPU share and measure what they got "
      "(docs/experiments.md).");
  absl::ParseCommandLine(argc, argv);
  return ghost::antagonist::Main();
}
