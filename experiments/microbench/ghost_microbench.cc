// ghost_microbench: ghost's scheduling costs against CFS, in one boot
// (docs/benchmarks.md says what each row means and how to run it).
//
//   local schedule   the agent of CPU 1 commits a thread onto CPU 1 and
//                    blocks; the thread runs and yields back. Timed: commit
//                    issued -> the thread sees it runs, and the whole round
//                    trip; vs a CFS futex ping-pong between two threads on
//                    CPU 1 (wake issued -> other thread runs; round trip)
//   remote latch     a spinning agent on CPU 1 commits threads onto 1, 2
//                    and (with more than 4 CPUs) all n-2 remote CPUs
//                    2..n-1 in one ghost_run() call (cpu_layout.h). Timed:
//                    commit issued -> the last of them sees it runs, and the
//                    system call
//                    itself (the agent's cost, per transaction for N); vs a
//                    CFS futex wakeup from CPU 1 to a thread asleep on CPU 2
//   message delivery a ghost thread's event (a nice change made from CPU 0)
//                    -> the agent of CPU 1 has the message, the agent blocked
//                    in ghost_run() or spinning on its queue
//
// Each ghost measurement has an enclave of its own and runs its agent in a
// child process (agent_process.h says why). The measurements and what each
// is compared with are in bench_suite.cc; this file has the flags, the
// checks of the machine, and the output.
//
// Every wait is bounded (--wait_limit_ms per wait, --measurement_limit_s per
// measurement). A measurement that cannot finish (its agent was detached,
// the enclave was destroyed, commits keep failing, a thread does not run)
// is reported as FAILED with the reason and the transaction results seen;
// the others still run, and the exit code is 1.
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "experiments/microbench/bench_limits.h"
#include "experiments/microbench/bench_report.h"
#include "experiments/microbench/bench_shared.h"
#include "experiments/microbench/bench_suite.h"
#include "experiments/microbench/cpu_layout.h"
#include "experiments/microbench/cpu_pin.h"
#include "lib/abi/ghostfs_mount.h"
#include "lib/uapi/linux/ghost.h"

ABSL_FLAG(int, rounds, 2000,
          "rounds of the local measurements; the remote and message ones "
          "run a quarter of that");
ABSL_FLAG(std::string, json, "", "also write the results here as JSON");
ABSL_FLAG(int, wait_limit_ms, 5000,
          "longest any single wait may take (a thread to run, a message to "
          "arrive) before its measurement is given up");
ABSL_FLAG(int, measurement_limit_s, 120,
          "longest one measurement may take before it is given up");
ABSL_FLAG(int, runnable_timeout_ms, 30000,
          "the bench enclaves' watchdog timeout (kept above --wait_limit_ms "
          "so the bench notices a stuck thread first and says why)");

namespace ghost::bench {
namespace {

BenchLimits LimitsFromFlags() {
  return {.wait_limit_ms = absl::GetFlag(FLAGS_wait_limit_ms),
          .measurement_limit_s = absl::GetFlag(FLAGS_measurement_limit_s),
          .runnable_timeout_ms = absl::GetFlag(FLAGS_runnable_timeout_ms)};
}

// The CPUs the bench may use: those online (sysconf), each also in the
// affinity mask it was started with, which must be 0..n-1 with no holes
// (the layout numbers them so). An error says which CPU is missing.
absl::StatusOr<int> UsableCpus() {
  const int online = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) {
    return absl::InternalError(
        absl::StrCat("sched_getaffinity: ", std::strerror(errno)));
  }
  const int allowed = CPU_COUNT(&set);
  for (int cpu = 0; cpu < online; ++cpu) {
    if (!CPU_ISSET(cpu, &set)) {
      return absl::FailedPreconditionError(absl::StrCat(
          online, " CPUs are online but CPU ", cpu,
          " is not in the bench's affinity mask (", allowed,
          " CPUs): run it without taskset/cpuset limits"));
    }
  }
  return online;
}

// What the bench needs of the machine before it measures anything:
// ghostfs, at least 4 CPUs (cpu_layout.h), and the main thread on CPU 0.
// Returns the layout for the CPU count.
absl::StatusOr<CpuLayout> PrepareMachine() {
  if (absl::Status s = EnsureGhostfsMounted(GHOSTFS_MOUNT_POINT); !s.ok()) {
    return s;
  }
  absl::StatusOr<int> nr_cpus = UsableCpus();
  if (!nr_cpus.ok()) return nr_cpus.status();
  absl::StatusOr<CpuLayout> layout = LayoutFor(*nr_cpus);
  if (!layout.ok()) return layout.status();
  if (absl::Status s = Pin(kBenchCpu); !s.ok()) return s;
  return layout;
}

// Writes the --json file; false if it cannot.
bool WriteJson(const std::string& path, int rounds, int nr_cpus,
               const BenchLimits& limits, const SuiteResult& suite) {
  const std::string json = FormatJson(
      {{"rounds", absl::StrCat(rounds)},
       {"cpus", absl::StrCat(nr_cpus)},
       {"wait_limit_ms", absl::StrCat(limits.wait_limit_ms)},
       {"runnable_timeout_ms", absl::StrCat(limits.runnable_timeout_ms)}},
      suite.rows);
  std::ofstream out(path);
  out << json;
  if (!out) {
    std::fprintf(stderr, "ghost_microbench: cannot write %s\n", path.c_str());
    return false;
  }
  return true;
}

int Main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  setvbuf(stdout, nullptr, _IONBF, 0);
  const int rounds = absl::GetFlag(FLAGS_rounds);
  if (rounds < 4 || rounds / 4 > kMaxSamples) {
    std::fprintf(stderr, "ghost_microbench: --rounds must be 4..%d\n",
                 kMaxSamples * 4);
    return 2;
  }
  absl::StatusOr<CpuLayout> layout = PrepareMachine();
  if (!layout.ok()) {
    std::fprintf(stderr, "ghost_microbench: %s\n",
                 std::string(layout.status().message()).c_str());
    return 1;
  }
  const BenchLimits limits = LimitsFromFlags();
  std::printf(
      "%d CPUs: bench on CPU %d, agent on CPU %d, remote CPUs %d-%d, "
      "enclaves %s\n",
      layout->nr_cpus, kBenchCpu, kAgentCpu, layout->RemoteCpu(0),
      layout->RemoteCpu(layout->nr_remote() - 1),
      layout->EnclaveCpus().c_str());

  const SuiteResult suite = RunSuite(rounds, *layout, limits);

  std::printf("\n%s", FormatTable(suite.rows).c_str());
  std::printf(
      "ns; ratio = ghost / baseline of the medians (and of the means), "
      "measured in this boot\n");
  if (const std::string path = absl::GetFlag(FLAGS_json); !path.empty()) {
    if (!WriteJson(path, rounds, layout->nr_cpus, limits, suite)) return 1;
  }
  if (suite.failed) {
    std::printf("some measurements FAILED (reasons above); exit code 1\n");
  }
  return suite.failed ? 1 : 0;
}

}  // namespace
}  // namespace ghost::bench

int main(int argc, char** argv) { return ghost::bench::Main(argc, argv); }
