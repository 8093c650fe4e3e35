// rocksdb_bench: one run of the RocksDB experiment (docs/experiments.md),
// or the calibration that chooses its service times. The lab's
// `tools/ghost lab experiment rocksdb` runs it many times in one boot.
//
//   rocksdb_bench --fill_only                      # make the database
//   rocksdb_bench --calibrate --enclave=1 --calibration_env=/tmp/calib.env
//   rocksdb_bench --mode=cfs --load=0.5 --get_ns=... --json=run.json
//   rocksdb_bench --mode=ghost --enclave=1 --load=0.5 ... --json=run.json
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "experiments/rocksdb/calibration.h"
#include "experiments/rocksdb/cpu_clock.h"
#include "experiments/rocksdb/database.h"
#include "lib/util/json_writer.h"
#include "experiments/rocksdb/load_server.h"
#include "experiments/rocksdb/run_report.h"
#include "experiments/rocksdb/service_choice.h"
#include "experiments/rocksdb/thread_setup.h"
#include "lib/abi/enclave.h"
#include "lib/uapi/linux/ghost.h"
#include "lib/util/cpu_list.h"

ABSL_FLAG(std::string, db, "/tmp/rocksdb", "Database directory (tmpfs).");
ABSL_FLAG(int64_t, keys, 100000, "Keys in the database.");
ABSL_FLAG(int, value_size, 100, "Bytes per value.");
ABSL_FLAG(bool, fill_only, false, "Create, fill and warm the database; exit.");
ABSL_FLAG(bool, calibrate, false,
          "Measure a Get, a Range and the wake round trip (CFS and, with "
          "--enclave, ghost) and choose the service times.");
ABSL_FLAG(std::string, calibration_env, "",
          "With --calibrate: write GET_NS=, RANGE_NS= (shell) here.");
ABSL_FLAG(double, sched_multiple, 5,
          "Calibration: a Get is at least this many scheduling round trips.");
ABSL_FLAG(double, range_multiple, 20,
          "Calibration: a Range is this many Gets.");
ABSL_FLAG(double, dispatch_headroom, 4,
          "Calibration: at full load the request rate is at most the "
          "dispatch capacity / this.");
ABSL_FLAG(std::string, mode, "cfs", "Name of the mode, for the report.");
ABSL_FLAG(int, enclave, -1,
          "Move the workers into this ghost enclave (-1: stay in CFS).");
ABSL_FLAG(std::string, cpus, "1-3", "The workers' CPUs.");
ABSL_FLAG(int, control_cpu, 0, "CPU of the generator and the dispatcher.");
ABSL_FLAG(int, workers, 16, "Worker threads.");
ABSL_FLAG(int, worker_nice, 0, "Nice value of the workers.");
ABSL_FLAG(int, qos, -1,
          "With --enclave: the workers' QoS class (0 first) in a hint "
          "region handed to the agent (a policy with classes: shinjuku).");
ABSL_FLAG(double, load, 0.5,
          "Offered load as a fraction of capacity: the workers' CPUs / mean "
          "service time.");
ABSL_FLAG(double, warmup_s, 1, "Seconds of load discarded at the start.");
ABSL_FLAG(double, duration_s, 4, "Seconds of load measured.");
ABSL_FLAG(double, drain_s, 2,
          "Seconds to wait after the last arrival; requests not finished "
          "then are reported as unfinished.");
ABSL_FLAG(int64_t, get_ns, 200000, "CPU time of a Get (padded), ns.");
ABSL_FLAG(int64_t, range_ns, 4000000, "CPU time of a Range (padded), ns.");
ABSL_FLAG(double, range_fraction, 0.01,
          "Fraction of requests that are Ranges.");
ABSL_FLAG(int, range_len, 100, "Keys per Range scan.");
ABSL_FLAG(uint64_t, seed, 1, "Seed of the arrivals and keys.");
ABSL_FLAG(std::string, json, "", "Write the run's report here.");
ABSL_FLAG(std::string, csv, "", "Write the run's CSV rows here.");

namespace ghost::rocksdb_exp {
namespace {

bool WriteFile(const std::string& path, const std::string& text) {
  if (path.empty()) return true;
  std::ofstream out(path);
  out << text;
  out.close();
  if (!out) {
    std::fprintf(stderr, "rocksdb_bench: cannot write %s\n", path.c_str());
    return false;
  }
  return true;
}

std::string Ms(int64_t ns) {
  if (ns == kUnknown) return "?";
  return absl::StrFormat("%.2f", ns / 1e6);
}

absl::StatusOr<std::unique_ptr<Database>> OpenDatabase() {
  const int64_t t0 = MonotonicNs();
  auto db =
      Database::OpenOrFill(absl::GetFlag(FLAGS_db), absl::GetFlag(FLAGS_keys),
                           absl::GetFlag(FLAGS_value_size));
  if (!db.ok()) return db.status();
  absl::StatusOr<int64_t> seen = (*db)->Warm();
  if (!seen.ok()) return seen.status();
  if (*seen < absl::GetFlag(FLAGS_keys)) {
    return absl::DataLossError(absl::StrCat("the warm scan saw ", *seen,
                                            " keys, expected ",
                                            absl::GetFlag(FLAGS_keys)));
  }
  std::printf("database: %lld keys in %s, opened and warmed in %.1f s\n",
              static_cast<long long>(absl::GetFlag(FLAGS_keys)),
              absl::GetFlag(FLAGS_db).c_str(), (MonotonicNs() - t0) / 1e9);
  return db;
}

int Calibrate(Database& db, const std::vector<int>& cpus) {
  const int control = absl::GetFlag(FLAGS_control_cpu);
  const int64_t get = MedianGetCpuNs(db, 2000, 11);
  const int64_t range =
      MedianRangeCpuNs(db, 200, absl::GetFlag(FLAGS_range_len), 12);
  ThreadPlacement cfs{.cpus = cpus};
  absl::StatusOr<int64_t> cfs_rt = MeasureWakeRoundTrip(cfs, control, 300);
  if (!cfs_rt.ok()) {
    std::fprintf(stderr, "calibration: CFS round trip: %s\n",
                 std::string(cfs_rt.status().message()).c_str());
    return 1;
  }
  int64_t ghost_rt = 0;
  if (absl::GetFlag(FLAGS_enclave) >= 0) {
    ThreadPlacement g{.cpus = cpus, .enclave = absl::GetFlag(FLAGS_enclave)};
    absl::StatusOr<int64_t> rt = MeasureWakeRoundTrip(g, control, 300);
    if (!rt.ok()) {
      std::fprintf(stderr, "calibration: ghost round trip: %s\n",
                   std::string(rt.status().message()).c_str());
      return 1;
    }
    ghost_rt = *rt;
  }
  ServerOptions base;
  base.workers = absl::GetFlag(FLAGS_workers);
  base.control_cpu = control;
  base.worker_placement = {.cpus = cpus};
  absl::StatusOr<double> cfs_cap = MeasureDispatchCapacity(db, base, 1.0);
  if (!cfs_cap.ok()) {
    std::fprintf(stderr, "calibration: CFS dispatch capacity: %s\n",
                 std::string(cfs_cap.status().message()).c_str());
    return 1;
  }
  double ghost_cap = 0;
  if (absl::GetFlag(FLAGS_enclave) >= 0) {
    base.worker_placement.enclave = absl::GetFlag(FLAGS_enclave);
    base.worker_placement.qos = absl::GetFlag(FLAGS_qos);
    absl::StatusOr<double> cap = MeasureDispatchCapacity(db, base, 1.0);
    if (!cap.ok()) {
      std::fprintf(stderr, "calibration: ghost dispatch capacity: %s\n",
                   std::string(cap.status().message()).c_str());
      return 1;
    }
    ghost_cap = *cap;
  }
  const double capacity =
      ghost_cap > 0 ? std::min(*cfs_cap, ghost_cap) : *cfs_cap;
  const Measured m{.get_ns = get,
                   .range_ns = range,
                   .sched_round_trip_ns = std::max(*cfs_rt, ghost_rt),
                   .dispatch_capacity_rps = capacity};
  const ServicePolicy policy{
      .sched_multiple = absl::GetFlag(FLAGS_sched_multiple),
      .range_multiple = absl::GetFlag(FLAGS_range_multiple),
      .dispatch_headroom = absl::GetFlag(FLAGS_dispatch_headroom),
      .cpus = static_cast<int>(cpus.size()),
      .range_fraction = absl::GetFlag(FLAGS_range_fraction)};
  const ServiceChoice c = ChooseServiceTimes(m, policy);
  std::printf(
      "calibration: real Get %.1f us CPU, real Range (%d keys) %.1f us CPU\n"
      "calibration: wake round trip (control CPU -> worker -> back), median: "
      "CFS %.1f us, ghost %.1f us\n"
      "calibration: dispatch capacity (bare Gets, saturated): CFS %.0f/s, "
      "ghost %.0f/s\n"
      "calibration: chosen Get %.1f us (decided by the %s; bounds: >= %.0fx "
      "the round trip, full load <= 1/%.0f of the capacity), Range %.1f us "
      "(%.0fx Get)\n",
      get / 1e3, absl::GetFlag(FLAGS_range_len), range / 1e3, *cfs_rt / 1e3,
      ghost_rt / 1e3, *cfs_cap, ghost_cap, c.get_ns / 1e3, c.why_get.c_str(),
      absl::GetFlag(FLAGS_sched_multiple), policy.dispatch_headroom,
      c.range_ns / 1e3, absl::GetFlag(FLAGS_range_multiple));
  JsonWriter j;
  j.BeginObject();
  j.Key("experiment");
  j.String("rocksdb-calibration");
  j.Key("get_work_ns");
  j.Int(get);
  j.Key("range_work_ns");
  j.Int(range);
  j.Key("range_len");
  j.Int(absl::GetFlag(FLAGS_range_len));
  j.Key("cfs_round_trip_ns");
  j.Int(*cfs_rt);
  j.Key("ghost_round_trip_ns");
  j.Int(ghost_rt);
  j.Key("cfs_dispatch_capacity_rps");
  j.Double(*cfs_cap);
  j.Key("ghost_dispatch_capacity_rps");
  j.Double(ghost_cap);
  j.Key("dispatch_headroom");
  j.Double(policy.dispatch_headroom);
  j.Key("sched_multiple");
  j.Double(absl::GetFlag(FLAGS_sched_multiple));
  j.Key("range_multiple");
  j.Double(absl::GetFlag(FLAGS_range_multiple));
  j.Key("get_service_ns");
  j.Int(c.get_ns);
  j.Key("range_service_ns");
  j.Int(c.range_ns);
  j.Key("get_decided_by");
  j.String(c.why_get);
  j.EndObject();
  bool ok = WriteFile(absl::GetFlag(FLAGS_json), j.str() + "\n");
  ok &= WriteFile(
      absl::GetFlag(FLAGS_calibration_env),
      absl::StrCat("GET_NS=", c.get_ns, "\nRANGE_NS=", c.range_ns, "\n"));
  return ok ? 0 : 1;
}

// Checks that the workers are still in the enclave at the end: if the
// enclave went (watchdog, agent crash) they ran under CFS for part of the
// run and the numbers are not ghost's.
std::string GhostCheck(int enclave, const std::vector<pid_t>& tids, bool* ok) {
  Enclave e(static_cast<unsigned int>(enclave), GHOSTFS_MOUNT_POINT);
  absl::StatusOr<std::vector<pid_t>> in = e.Tasks();
  if (!in.ok()) {
    *ok = false;
    return absl::StrCat("enclave ", enclave, " is gone: ",
                        DestroyedReason(GHOSTFS_MOUNT_POINT, enclave));
  }
  int found = 0;
  for (pid_t t : tids) found += std::count(in->begin(), in->end(), t) > 0;
  *ok = found == static_cast<int>(tids.size());
  return absl::StrCat(found, " of ", tids.size(), " workers in enclave ",
                      enclave, " at the end");
}

int RunLoad(Database& db, const std::vector<int>& cpus) {
  RunConfig config;
  config.mode = absl::GetFlag(FLAGS_mode);
  config.load = absl::GetFlag(FLAGS_load);
  config.warmup_s = absl::GetFlag(FLAGS_warmup_s);
  config.duration_s = absl::GetFlag(FLAGS_duration_s);
  config.workers = absl::GetFlag(FLAGS_workers);
  config.cpus = FormatCpuList(cpus);
  config.get_ns = absl::GetFlag(FLAGS_get_ns);
  config.range_ns = absl::GetFlag(FLAGS_range_ns);
  config.range_fraction = absl::GetFlag(FLAGS_range_fraction);
  config.keys = absl::GetFlag(FLAGS_keys);
  config.range_len = absl::GetFlag(FLAGS_range_len);
  config.seed = absl::GetFlag(FLAGS_seed);
  const double mean_service_s = ((1 - config.range_fraction) * config.get_ns +
                                 config.range_fraction * config.range_ns) /
                                1e9;
  config.offered_rps = config.load * cpus.size() / mean_service_s;
  if (config.load <= 0 || config.duration_s <= 0 || config.workers <= 0 ||
      config.get_ns < 0 || config.range_ns < 0 || config.range_fraction < 0 ||
      config.range_fraction > 1 || mean_service_s <= 0) {
    std::fprintf(stderr,
                 "rocksdb_bench: --load, --duration_s, --workers must be > "
                 "0, service times >= 0 (not both 0), --range_fraction in "
                 "[0, 1]\n");
    return 2;
  }
  ServerOptions o;
  o.workers = config.workers;
  o.worker_placement = {.cpus = cpus,
                        .nice = absl::GetFlag(FLAGS_worker_nice),
                        .set_nice = absl::GetFlag(FLAGS_worker_nice) != 0,
                        .enclave = absl::GetFlag(FLAGS_enclave),
                        .qos = absl::GetFlag(FLAGS_qos)};
  o.control_cpu = absl::GetFlag(FLAGS_control_cpu);
  o.rate_per_s = config.offered_rps;
  o.warmup_s = config.warmup_s;
  o.duration_s = config.duration_s;
  o.drain_s = absl::GetFlag(FLAGS_drain_s);
  o.get_ns = config.get_ns;
  o.range_ns = config.range_ns;
  o.range_fraction = config.range_fraction;
  o.range_len = config.range_len;
  o.seed = config.seed;

  LoadServer server(db, o);
  absl::Status s = server.Start();
  if (!s.ok()) {
    std::fprintf(stderr, "rocksdb_bench: %s\n",
                 std::string(s.message()).c_str());
    return 1;
  }
  LoadOutcome out = server.Run();
  RunReport r = BuildReport(config, out.window, out.records);
  r.generator_max_lag_ns = out.generator_max_lag_ns;
  r.generator_ran_out = out.generator_ran_out;
  r.worker_cpu_ns = out.worker_cpu_ns;
  std::vector<std::string> problems;
  if (absl::GetFlag(FLAGS_enclave) >= 0) {
    bool ok = true;
    r.ghost_check =
        GhostCheck(absl::GetFlag(FLAGS_enclave), out.worker_tids, &ok);
    if (!ok) problems.push_back(r.ghost_check);
  }
  if (r.generator_ran_out) problems.push_back("the generator ran out of slots");
  for (const KindReport& k : r.kinds) {
    if (k.db_errors > 0) {
      problems.push_back(absl::StrCat(k.db_errors, " ", KindName(k.kind),
                                      " requests failed in RocksDB"));
    }
  }
  r.ok = problems.empty();
  for (const std::string& p : problems) {
    r.problem += (r.problem.empty() ? "" : "; ") + p;
  }
  // Written before the workers are stopped: a worker that never exits
  // must not cost the results.
  bool written = WriteFile(absl::GetFlag(FLAGS_json), RunJson(r));
  written &= WriteFile(absl::GetFlag(FLAGS_csv), RunCsv(r));
  const KindReport& g = r.kinds[0];
  const KindReport& rg = r.kinds[1];
  std::printf(
      "%s load %.2f (%.0f/s): get p50 %s p99 %s p99.9 %s ms (n=%lld, "
      "unfinished %lld); range p99 %s ms (n=%lld, unfinished %lld); "
      "completed/offered %lld/%lld; workers used %.2f CPUs; generator lag "
      "max %.2f ms%s%s\n",
      config.mode.c_str(), config.load, config.offered_rps,
      Ms(g.total.p50).c_str(), Ms(g.total.p99).c_str(),
      Ms(g.total.p999).c_str(), static_cast<long long>(g.completed),
      static_cast<long long>(g.unfinished), Ms(rg.total.p99).c_str(),
      static_cast<long long>(rg.completed),
      static_cast<long long>(rg.unfinished),
      static_cast<long long>(g.completed + rg.completed),
      static_cast<long long>(g.offered + rg.offered),
      r.worker_cpu_ns / 1e9 / config.duration_s, r.generator_max_lag_ns / 1e6,
      r.ok ? "" : "; INVALID: ", r.problem.c_str());
  std::fflush(stdout);
  const int left = server.Stop(10);
  if (left > 0) {
    std::printf("rocksdb_bench: %d workers did not exit within 10 s\n", left);
    std::fflush(stdout);
    std::_Exit(r.ok && written ? 0 : 1);
  }
  return r.ok && written ? 0 : 1;
}

int Main() {
  absl::StatusOr<std::vector<int>> cpus =
      ParseCpuList(absl::GetFlag(FLAGS_cpus));
  if (!cpus.ok() || cpus->empty()) {
    std::fprintf(
        stderr, "rocksdb_bench: --cpus=%s: %s\n",
        absl::GetFlag(FLAGS_cpus).c_str(),
        cpus.ok() ? "empty" : std::string(cpus.status().message()).c_str());
    return 2;
  }
  // RocksDB's background threads inherit this: keep them off the workers'
  // CPUs.
  ThreadPlacement control{.cpus = {absl::GetFlag(FLAGS_control_cpu)}};
  absl::Status placed = PlaceThisThread(control);
  if (!placed.ok()) {
    std::fprintf(stderr, "rocksdb_bench: %s\n",
                 std::string(placed.message()).c_str());
    return 2;
  }
  auto db = OpenDatabase();
  if (!db.ok()) {
    std::fprintf(stderr, "rocksdb_bench: %s\n",
                 std::string(db.status().message()).c_str());
    return 1;
  }
  if (absl::GetFlag(FLAGS_fill_only)) return 0;
  if (absl::GetFlag(FLAGS_calibrate)) return Calibrate(**db, *cpus);
  return RunLoad(**db, *cpus);
}

}  // namespace
}  // namespace ghost::rocksdb_exp

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "One run of the RocksDB experiment, or its calibration "
      "(docs/experiments.md).");
  absl::ParseCommandLine(argc, argv);
  return ghost::rocksdb_exp::Main();
}
