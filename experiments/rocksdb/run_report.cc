#include "experiments/rocksdb/run_report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/util/json_writer.h"

namespace ghost::rocksdb_exp {
namespace {

bool InWindow(const RequestRecord& r, const Window& w) {
  return r.scheduled_ns >= w.start_ns && r.scheduled_ns < w.end_ns;
}

void WriteSummary(JsonWriter& j, const LatencySummary& s) {
  auto quantile = [&j](int64_t v) {
    if (v == kUnknown) {
      j.Null();
    } else {
      j.Int(v);
    }
  };
  j.BeginObject();
  j.Key("count");
  j.Int(s.count);
  j.Key("unfinished");
  j.Int(s.unfinished);
  j.Key("p50_ns");
  quantile(s.p50);
  j.Key("p99_ns");
  quantile(s.p99);
  j.Key("p999_ns");
  quantile(s.p999);
  j.Key("mean_ns");
  j.Double(s.mean);
  j.Key("max_ns");
  j.Int(s.max);
  j.EndObject();
}

void WriteConfig(JsonWriter& j, const RunConfig& c) {
  j.BeginObject();
  j.Key("mode");
  j.String(c.mode);
  j.Key("load");
  j.Double(c.load);
  j.Key("offered_rps");
  j.Double(c.offered_rps);
  j.Key("warmup_s");
  j.Double(c.warmup_s);
  j.Key("duration_s");
  j.Double(c.duration_s);
  j.Key("workers");
  j.Int(c.workers);
  j.Key("cpus");
  j.String(c.cpus);
  j.Key("get_service_ns");
  j.Int(c.get_ns);
  j.Key("range_service_ns");
  j.Int(c.range_ns);
  j.Key("range_fraction");
  j.Double(c.range_fraction);
  j.Key("keys");
  j.Int(c.keys);
  j.Key("range_len");
  j.Int(c.range_len);
  j.Key("seed");
  j.Int(static_cast<int64_t>(c.seed));
  j.EndObject();
}

void WriteKind(JsonWriter& j, const KindReport& k, double window_s) {
  j.BeginObject();
  j.Key("offered");
  j.Int(k.offered);
  j.Key("completed");
  j.Int(k.completed);
  j.Key("unfinished");
  j.Int(k.unfinished);
  j.Key("offered_rps");
  j.Double(window_s > 0 ? k.offered / window_s : 0);
  j.Key("completed_rps");
  j.Double(window_s > 0 ? k.completed / window_s : 0);
  j.Key("overshot");
  j.Int(k.overshot);
  j.Key("db_errors");
  j.Int(k.db_errors);
  j.Key("total");
  WriteSummary(j, k.total);
  j.Key("stages");
  j.BeginObject();
  j.Key("generate");
  WriteSummary(j, k.generate);
  j.Key("queue");
  WriteSummary(j, k.queue);
  j.Key("wake");
  WriteSummary(j, k.wake);
  j.Key("service");
  WriteSummary(j, k.service);
  j.Key("service_cpu");
  WriteSummary(j, k.service_cpu);
  j.EndObject();
  j.EndObject();
}

std::string CsvQuantile(int64_t v) {
  return v == kUnknown ? "" : absl::StrCat(v);
}

}  // namespace

KindReport ReportKind(const std::vector<RequestRecord>& records, Kind kind,
                      const Window& window) {
  KindReport k;
  k.kind = kind;
  std::vector<int64_t> total, generate, queue, wake, service, cpu;
  for (const RequestRecord& r : records) {
    if (r.kind != kind || !InWindow(r, window)) continue;
    ++k.offered;
    if (r.finished_ns == 0) {
      ++k.unfinished;
      continue;
    }
    ++k.completed;
    if (r.overshot) ++k.overshot;
    if (!r.db_ok) ++k.db_errors;
    total.push_back(r.finished_ns - r.scheduled_ns);
    generate.push_back(r.generated_ns - r.scheduled_ns);
    queue.push_back(r.dispatched_ns - r.generated_ns);
    wake.push_back(r.started_ns - r.dispatched_ns);
    service.push_back(r.finished_ns - r.started_ns);
    cpu.push_back(r.service_cpu_ns);
  }
  k.total = Summarize(std::move(total), k.unfinished);
  k.generate = Summarize(std::move(generate));
  k.queue = Summarize(std::move(queue));
  k.wake = Summarize(std::move(wake));
  k.service = Summarize(std::move(service));
  k.service_cpu = Summarize(std::move(cpu));
  return k;
}

RunReport BuildReport(const RunConfig& config, const Window& window,
                      const std::vector<RequestRecord>& records) {
  RunReport r;
  r.config = config;
  r.window = window;
  r.kinds.push_back(ReportKind(records, Kind::kGet, window));
  r.kinds.push_back(ReportKind(records, Kind::kRange, window));
  r.generated_total = static_cast<int64_t>(records.size());
  return r;
}

std::string RunJson(const RunReport& r) {
  const double window_s = (r.window.end_ns - r.window.start_ns) / 1e9;
  JsonWriter j;
  j.BeginObject();
  j.Key("experiment");
  j.String("rocksdb");
  j.Key("ok");
  j.Bool(r.ok);
  j.Key("problem");
  j.String(r.problem);
  j.Key("config");
  WriteConfig(j, r.config);
  j.Key("window");
  j.BeginObject();
  j.Key("start_ns");
  j.Int(r.window.start_ns);
  j.Key("end_ns");
  j.Int(r.window.end_ns);
  j.EndObject();
  j.Key("generated_total");
  j.Int(r.generated_total);
  j.Key("generator_max_lag_ns");
  j.Int(r.generator_max_lag_ns);
  j.Key("generator_ran_out");
  j.Bool(r.generator_ran_out);
  j.Key("worker_cpus_used");
  j.Double(window_s > 0 ? r.worker_cpu_ns / 1e9 / window_s : 0);
  j.Key("ghost_check");
  j.String(r.ghost_check);
  for (const KindReport& k : r.kinds) {
    j.Key(KindName(k.kind));
    WriteKind(j, k, window_s);
  }
  j.EndObject();
  return j.str() + "\n";
}

std::string RunCsv(const RunReport& r) {
  std::string out =
      "mode,load,offered_rps,kind,offered,completed,unfinished,"
      "p50_ns,p99_ns,p999_ns,mean_ns,wake_p50_ns,wake_p99_ns,"
      "queue_p99_ns,generate_p99_ns,service_p50_ns\n";
  for (const KindReport& k : r.kinds) {
    absl::StrAppend(
        &out,
        absl::StrJoin(
            {r.config.mode, absl::StrCat(r.config.load),
             absl::StrCat(r.config.offered_rps), std::string(KindName(k.kind)),
             absl::StrCat(k.offered), absl::StrCat(k.completed),
             absl::StrCat(k.unfinished), CsvQuantile(k.total.p50),
             CsvQuantile(k.total.p99), CsvQuantile(k.total.p999),
             absl::StrCat(static_cast<int64_t>(k.total.mean)),
             CsvQuantile(k.wake.p50), CsvQuantile(k.wake.p99),
             CsvQuantile(k.queue.p99), CsvQuantile(k.generate.p99),
             CsvQuantile(k.service.p50)},
            ","),
        "\n");
  }
  return out;
}

}  // namespace ghost::rocksdb_exp
