#include "experiments/microbench/bench_suite.h"

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "experiments/microbench/agent_bodies.h"
#include "experiments/microbench/bench_clock.h"
#include "experiments/microbench/bench_rows.h"
#include "experiments/microbench/bench_shared.h"
#include "experiments/microbench/cfs_baselines.h"
#include "experiments/microbench/ghost_measurement.h"
#include "experiments/microbench/message_driver.h"

namespace ghost::bench {
namespace {

// The enclave of the remote latch of n CPUs (43 for 2, as before the group
// of all remote CPUs was measured too).
unsigned int RemoteEnclaveId(int n) {
  return n == 1 ? 41 : n == 2 ? 43 : 45;
}

// Prints why `what` failed and remembers that something did.
void NoteFailure(const char* what, const absl::Status& s, SuiteResult& out) {
  std::printf("  %s: FAILED: %s\n", what, std::string(s.message()).c_str());
  out.failed = true;
}

// The CFS hand-offs that the ghost rows are compared with.
// A failed one has empty summaries and its reason.
struct CfsBaselines {
  Summary local_wake, round_trip;
  std::string pingpong_failure;
  Summary remote_wake, wake_syscall;
  std::string wakeup_failure;
};

CfsBaselines MeasureCfs(int rounds, const BenchLimits& limits,
                        SuiteResult& out) {
  CfsBaselines cfs;
  std::printf("measuring: CFS ping-pong on CPU 1 (%d rounds)\n", rounds);
  if (absl::StatusOr<CfsResult> r = CfsPingPong(rounds, limits); r.ok()) {
    cfs.local_wake = Summarize(r->wake_to_run);
    cfs.round_trip = Summarize(r->round_trip);
  } else {
    NoteFailure("CFS ping-pong", r.status(), out);
    cfs.pingpong_failure = std::string(r.status().message());
  }
  const int quarter = rounds / 4;
  std::printf("measuring: CFS wakeup CPU 1 -> CPU 2 (%d rounds)\n", quarter);
  if (absl::StatusOr<CfsResult> r = CfsCrossCpuWakeup(quarter, limits);
      r.ok()) {
    cfs.remote_wake = Summarize(r->wake_to_run);
    cfs.wake_syscall = Summarize(r->wake_syscall);
  } else {
    NoteFailure("CFS cross-CPU wakeup", r.status(), out);
    cfs.wakeup_failure = std::string(r.status().message());
  }
  return cfs;
}

// Runs one ghost measurement and prints how it went.
absl::StatusOr<GhostResult> MeasureGhost(const GhostSpec& spec,
                                         const CpuLayout& layout,
                                         const BenchLimits& limits,
                                         SuiteResult& out) {
  std::printf("measuring: %s (%d rounds)\n", spec.name, spec.rounds);
  const uint64_t t0 = NowNs();
  absl::StatusOr<GhostResult> r =
      GhostMeasurement(spec, layout, limits).Run();
  if (!r.ok()) {
    NoteFailure(spec.name, r.status(), out);
  } else {
    std::printf(
        "  %zu samples in %.1f s; transaction results: %s; lost "
        "rounds: %lu\n",
        r->a.size(), double(NowNs() - t0) / 1e9, r->results.c_str(),
        static_cast<unsigned long>(r->lost_rounds));
  }
  return r;
}

void AddLocalRows(int rounds, const CpuLayout& layout,
                  const BenchLimits& limits, const CfsBaselines& cfs,
                  SuiteResult& out) {
  const absl::StatusOr<GhostResult> local =
      MeasureGhost({.name = "ghost local schedule on CPU 1",
                    .enclave_id = 40,
                    .wake_agent = true,
                    .nr_workers = 1,
                    .workers = WorkerKind::kYielder,
                    .rounds = rounds,
                    .agent = LocalScheduleAgent},
                   layout, limits, out);
  out.rows.push_back(GhostRow(
      "local: commit -> thread runs", local, &GhostResult::a,
      {"CFS: wake -> runs, 1 CPU", cfs.local_wake, cfs.pingpong_failure}));
  out.rows.push_back(GhostRow(
      "local: round trip (agent..agent)", local, &GhostResult::b,
      {"CFS: ping-pong round trip", cfs.round_trip, cfs.pingpong_failure}));
}

GhostSpec RemoteLatchSpec(const char* name, unsigned int enclave_id,
                          int nr_workers, int rounds) {
  return {.name = name,
          .enclave_id = enclave_id,
          .wake_agent = false,
          .nr_workers = nr_workers,
          .workers = WorkerKind::kYielder,
          .rounds = rounds,
          .agent = RemoteLatchAgent};
}

// One remote latch measurement for each group size of the layout: 1, 2
// and, with more than 2 remote CPUs, all of them in one commit.
void AddRemoteRows(int quarter, const CpuLayout& layout,
                   const BenchLimits& limits, const CfsBaselines& cfs,
                   SuiteResult& out) {
  std::vector<RemoteGroup> groups;
  for (int n : layout.RemoteGroups(kMaxWorkers)) {
    const std::string name =
        n == 1 ? std::string("ghost remote latch, 1 CPU")
               : absl::StrCat("ghost remote latch, ", n, " CPUs in one commit");
    groups.push_back(
        {n, MeasureGhost(RemoteLatchSpec(name.c_str(), RemoteEnclaveId(n), n,
                                         quarter),
                         layout, limits, out)});
  }
  for (Row& row : RemoteRows(
           groups,
           {"CFS: wake -> runs, CPU 1->2", cfs.remote_wake, cfs.wakeup_failure},
           {"CFS: futex_wake syscall", cfs.wake_syscall, cfs.wakeup_failure})) {
    out.rows.push_back(std::move(row));
  }
}

GhostSpec MessageSpec(const char* name, unsigned int enclave_id, bool spinning,
                      int rounds, const BenchLimits& limits) {
  return {.name = name,
          .enclave_id = enclave_id,
          .wake_agent = !spinning,
          .nr_workers = 1,
          .workers = WorkerKind::kSleeper,
          .rounds = rounds,
          .agent =
              [spinning](AgentContext& c) { return MessageAgent(c, spinning); },
          .driver =
              [spinning, rounds, limits](Shared& s, auto& w) {
                return MessageDriver(spinning, rounds, limits, s, w);
              }};
}

void AddMessageRows(int quarter, const CpuLayout& layout,
                    const BenchLimits& limits, const CfsBaselines& cfs,
                    SuiteResult& out) {
  const absl::StatusOr<GhostResult> blocked = MeasureGhost(
      MessageSpec("message to a blocked agent", 42, false, quarter, limits),
      layout, limits, out);
  out.rows.push_back(GhostRow(
      "message -> blocked agent", blocked, &GhostResult::a,
      {"CFS: wake -> runs, CPU 1->2", cfs.remote_wake, cfs.wakeup_failure}));
  const absl::StatusOr<GhostResult> spinning = MeasureGhost(
      MessageSpec("message to a spinning agent", 44, true, quarter, limits),
      layout, limits, out);
  out.rows.push_back(
      GhostRow("message -> spinning agent", spinning, &GhostResult::a, {}));
}

}  // namespace

SuiteResult RunSuite(int rounds, const CpuLayout& layout,
                     const BenchLimits& limits) {
  SuiteResult out;
  const CfsBaselines cfs = MeasureCfs(rounds, limits, out);
  AddLocalRows(rounds, layout, limits, cfs, out);
  AddRemoteRows(rounds / 4, layout, limits, cfs, out);
  AddMessageRows(rounds / 4, layout, limits, cfs, out);
  return out;
}

}  // namespace ghost::bench
