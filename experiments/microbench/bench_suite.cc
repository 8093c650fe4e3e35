#include "experiments/microbench/bench_suite.h"

#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "experiments/microbench/agent_bodies.h"
#include "experiments/microbench/bench_clock.h"
#include "experiments/microbench/bench_rows.h"
#include "experiments/microbench/cfs_baselines.h"
#include "experiments/microbench/ghost_measurement.h"
#include "experiments/microbench/message_driver.h"

namespace ghost::bench {
namespace {

constexpr int kRemoteN = 2;  // CPUs 2 and 3: the enclave is 1-3

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
                                         const BenchLimits& limits,
                                         SuiteResult& out) {
  std::printf("measuring: %s (%d rounds)\n", spec.name, spec.rounds);
  const uint64_t t0 = NowNs();
  absl::StatusOr<GhostResult> r = GhostMeasurement(spec, limits).Run();
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

void AddLocalRows(int rounds, const BenchLimits& limits,
                  const CfsBaselines& cfs, SuiteResult& out) {
  const absl::StatusOr<GhostResult> local =
      MeasureGhost({.name = "ghost local schedule on CPU 1",
                    .enclave_id = 40,
                    .wake_agent = true,
                    .nr_workers = 1,
                    .workers = WorkerKind::kYielder,
                    .rounds = rounds,
                    .agent = LocalScheduleAgent},
                   limits, out);
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

void AddRemoteRows(int quarter, const BenchLimits& limits,
                   const CfsBaselines& cfs, SuiteResult& out) {
  const absl::StatusOr<GhostResult> remote1 =
      MeasureGhost(RemoteLatchSpec("ghost remote latch, 1 CPU", 41, 1, quarter),
                   limits, out);
  absl::StatusOr<GhostResult> remote_n =
      MeasureGhost(RemoteLatchSpec("ghost remote latch, 2 CPUs in one commit",
                                   43, kRemoteN, quarter),
                   limits, out);
  out.rows.push_back(GhostRow(
      "remote x1: commit -> thread runs", remote1, &GhostResult::a,
      {"CFS: wake -> runs, CPU 1->2", cfs.remote_wake, cfs.wakeup_failure}));
  out.rows.push_back(GhostRow(
      absl::StrCat("remote x", kRemoteN, ": commit -> last runs"), remote_n,
      &GhostResult::a,
      {"CFS: wake -> runs, CPU 1->2", cfs.remote_wake, cfs.wakeup_failure}));
  out.rows.push_back(GhostRow(
      "remote x1: commit syscall", remote1, &GhostResult::b,
      {"CFS: futex_wake syscall", cfs.wake_syscall, cfs.wakeup_failure}));
  // The group commit's cost per transaction against a commit of one.
  if (remote_n.ok()) remote_n->b = PerTransaction(remote_n->b, kRemoteN);
  Baseline single = {.name = "ghost: commit syscall x1"};
  if (remote1.ok()) {
    single.value = Summarize(remote1->b);
  } else {
    single.failure = std::string(remote1.status().message());
  }
  out.rows.push_back(
      GhostRow(absl::StrCat("remote x", kRemoteN, ": commit syscall / txn"),
               remote_n, &GhostResult::b, single));
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

void AddMessageRows(int quarter, const BenchLimits& limits,
                    const CfsBaselines& cfs, SuiteResult& out) {
  const absl::StatusOr<GhostResult> blocked = MeasureGhost(
      MessageSpec("message to a blocked agent", 42, false, quarter, limits),
      limits, out);
  out.rows.push_back(GhostRow(
      "message -> blocked agent", blocked, &GhostResult::a,
      {"CFS: wake -> runs, CPU 1->2", cfs.remote_wake, cfs.wakeup_failure}));
  const absl::StatusOr<GhostResult> spinning = MeasureGhost(
      MessageSpec("message to a spinning agent", 44, true, quarter, limits),
      limits, out);
  out.rows.push_back(
      GhostRow("message -> spinning agent", spinning, &GhostResult::a, {}));
}

}  // namespace

SuiteResult RunSuite(int rounds, const BenchLimits& limits) {
  SuiteResult out;
  const CfsBaselines cfs = MeasureCfs(rounds, limits, out);
  AddLocalRows(rounds, limits, cfs, out);
  AddRemoteRows(rounds / 4, limits, cfs, out);
  AddMessageRows(rounds / 4, limits, cfs, out);
  return out;
}

}  // namespace ghost::bench
