// What one run of the RocksDB experiment comes to: per request kind, the
// requests whose scheduled arrival fell in the measurement window (the
// first seconds are warm-up and discarded), how many finished, how many
// did not (reported, and counted as slower than every finished one), and
// the latency of each stage and end to end. Written as JSON (the lab
// aggregates the runs of a sweep from these) and as CSV rows.
//
//   std::vector<RequestRecord> recs = ...;   // every generated request
//   RunReport r = BuildReport(config, {start, end}, recs);
//   std::string json = RunJson(r);
#ifndef GHOST_EXPERIMENTS_ROCKSDB_RUN_REPORT_H_
#define GHOST_EXPERIMENTS_ROCKSDB_RUN_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "experiments/rocksdb/latency_summary.h"
#include "experiments/rocksdb/request.h"

namespace ghost::rocksdb_exp {

struct RunConfig {
  std::string mode;        // "cfs", "ghost", ... (as the lab names it)
  double load = 0;         // offered load as a fraction of capacity
  double offered_rps = 0;  // the Poisson rate
  double warmup_s = 0;
  double duration_s = 0;  // the measurement window
  int workers = 0;
  std::string cpus;    // the workers' CPUs
  int64_t get_ns = 0;  // service targets (CPU time)
  int64_t range_ns = 0;
  double range_fraction = 0;
  int64_t keys = 0;
  int range_len = 0;
  uint64_t seed = 0;
};

struct Window {
  int64_t start_ns = 0;  // scheduled arrivals in [start, end) are measured
  int64_t end_ns = 0;
};

struct KindReport {
  Kind kind = Kind::kGet;
  int64_t offered = 0;    // scheduled in the window
  int64_t completed = 0;  // of those, finished
  int64_t unfinished = 0;
  int64_t overshot = 0;  // finished requests whose work exceeded the target
  int64_t db_errors = 0;
  LatencySummary total;     // finished - scheduled, unfinished included
  LatencySummary generate;  // generated - scheduled (generator lag)
  LatencySummary queue;     // dispatched - generated (waiting for a worker)
  LatencySummary wake;      // started - dispatched (the scheduler's part)
  LatencySummary service;   // finished - started (wall, preemptions in it)
  LatencySummary service_cpu;
};

struct RunReport {
  RunConfig config;
  Window window;
  std::vector<KindReport> kinds;  // get, then range
  // Filled by the caller from what it observed during the run.
  int64_t generated_total = 0;  // including warm-up and after
  int64_t generator_max_lag_ns = 0;
  bool generator_ran_out = false;  // the request array was too small
  int64_t worker_cpu_ns = 0;       // the workers' CPU time in the window
  std::string ghost_check;         // "" (CFS) or what the enclave said
  bool ok = true;                  // false: the run is not valid
  std::string problem;
};

// The report of `kind` over `records` in `window`.
KindReport ReportKind(const std::vector<RequestRecord>& records, Kind kind,
                      const Window& window);

// Both kinds.
RunReport BuildReport(const RunConfig& config, const Window& window,
                      const std::vector<RequestRecord>& records);

std::string RunJson(const RunReport& r);

// A header line and one line per kind (ns; unknown percentiles empty).
std::string RunCsv(const RunReport& r);

}  // namespace ghost::rocksdb_exp

#endif  // GHOST_EXPERIMENTS_ROCKSDB_RUN_REPORT_H_
