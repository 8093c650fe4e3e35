// ghost_workloads: runs one workload of fixed size and prints how long it
// took, so that the same work can be timed under CFS and in an enclave
// (`tools/ghost lab bench` does both in one boot; docs/benchmarks.md).
//
//   ghost_workloads --workload=fork --threads=3
//   ghostctl run --enclave 1 -- ghost_workloads --workload=yield --threads=6
//
// The last line is machine-readable:
//   RESULT <workload> <seconds> <ops> <slowest worker s> <fastest worker s>
// Exit code 0 on success, 1 if the workload failed or did not finish
// within --limit (the message says how far each worker got).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "experiments/workloads/churn.h"
#include "experiments/workloads/workload.h"

ABSL_FLAG(std::string, workload, "", "the workload (see --help)");
ABSL_FLAG(int, threads, 3, "workers (threads or processes)");
ABSL_FLAG(int64_t, ops, 0, "units of work per worker (0: the default)");
ABSL_FLAG(absl::Duration, limit, absl::Seconds(120),
          "give up (exit 1) if the work is not done by then");

int main(int argc, char** argv) {
  // A child of the exec workload: nothing to do.
  if (argc == 2 && std::strcmp(argv[1], ghost::workloads::kExitAtOnce) == 0) {
    _exit(0);
  }
  absl::SetProgramUsageMessage(absl::StrCat(
      "Runs one workload of fixed size and prints its wall time.\n"
      "  ghost_workloads --workload=NAME [--threads=N] [--ops=N]\n"
      "Workloads:\n",
      ghost::workloads::WorkloadHelp()));
  absl::ParseCommandLine(argc, argv);
  const std::string name = absl::GetFlag(FLAGS_workload);
  const absl::StatusOr<ghost::workloads::WorkloadResult> r =
      ghost::workloads::RunWorkload(
          name, {.threads = absl::GetFlag(FLAGS_threads),
                 .ops = absl::GetFlag(FLAGS_ops),
                 .limit = absl::GetFlag(FLAGS_limit)});
  if (!r.ok()) {
    std::fprintf(stderr, "ghost_workloads: %s: %s\n", name.c_str(),
                 std::string(r.status().message()).c_str());
    // Workers stuck past the limit are still running: do not wait.
    std::fflush(nullptr);
    _exit(1);
  }
  std::printf("%s: %.3f s for %lld units (workers took %.3f-%.3f s)\n",
              name.c_str(), r->seconds, static_cast<long long>(r->ops),
              r->fastest_s, r->slowest_s);
  std::printf("RESULT %s %.6f %lld %.6f %.6f\n", name.c_str(), r->seconds,
              static_cast<long long>(r->ops), r->slowest_s, r->fastest_s);
  return 0;
}
