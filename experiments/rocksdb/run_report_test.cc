#include "experiments/rocksdb/run_report.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ghost::rocksdb_exp {
namespace {

RequestRecord Finished(Kind kind, int64_t scheduled, int64_t total) {
  RequestRecord r;
  r.kind = kind;
  r.scheduled_ns = scheduled;
  r.generated_ns = scheduled + 1;
  r.dispatched_ns = scheduled + 3;
  r.started_ns = scheduled + 6;
  r.finished_ns = scheduled + total;
  r.service_cpu_ns = total - 6;
  return r;
}

RequestRecord Unfinished(Kind kind, int64_t scheduled) {
  RequestRecord r;
  r.kind = kind;
  r.scheduled_ns = scheduled;
  return r;
}

TEST(ReportKind, OnlyArrivalsScheduledInTheWindowCount) {
  const std::vector<RequestRecord> recs = {
      Finished(Kind::kGet, 50, 100),   // warm-up: discarded
      Finished(Kind::kGet, 100, 200),  // first in the window
      Finished(Kind::kGet, 150, 300), Finished(Kind::kRange, 160, 5000),
      Finished(Kind::kGet, 200, 400),  // end is exclusive
  };
  const KindReport k = ReportKind(recs, Kind::kGet, {100, 200});
  EXPECT_EQ(k.offered, 2);
  EXPECT_EQ(k.completed, 2);
  EXPECT_EQ(k.total.p50, 200);
  EXPECT_EQ(k.total.max, 300);
}

TEST(ReportKind, StagesAddUpToTheTotal) {
  const KindReport k =
      ReportKind({Finished(Kind::kGet, 100, 50)}, Kind::kGet, {0, 1000});
  EXPECT_EQ(k.generate.p50, 1);
  EXPECT_EQ(k.queue.p50, 2);
  EXPECT_EQ(k.wake.p50, 3);
  EXPECT_EQ(k.service.p50, 44);
  EXPECT_EQ(k.generate.p50 + k.queue.p50 + k.wake.p50 + k.service.p50,
            k.total.p50);
}

TEST(ReportKind, UnfinishedAreReportedAndMakeHighQuantilesUnknown) {
  std::vector<RequestRecord> recs;
  for (int i = 0; i < 98; ++i) recs.push_back(Finished(Kind::kGet, i, 10));
  recs.push_back(Unfinished(Kind::kGet, 98));
  recs.push_back(Unfinished(Kind::kGet, 99));
  const KindReport k = ReportKind(recs, Kind::kGet, {0, 100});
  EXPECT_EQ(k.offered, 100);
  EXPECT_EQ(k.completed, 98);
  EXPECT_EQ(k.unfinished, 2);
  EXPECT_EQ(k.total.p50, 10);
  EXPECT_EQ(k.total.p99, kUnknown);
}

TEST(RunJson, CarriesCountsQuantilesAndNullForUnknown) {
  RunConfig c;
  c.mode = "cfs";
  c.load = 0.5;
  std::vector<RequestRecord> recs = {Finished(Kind::kGet, 0, 10),
                                     Unfinished(Kind::kGet, 1)};
  RunReport r = BuildReport(c, {0, 1'000'000'000}, recs);
  const std::string json = RunJson(r);
  EXPECT_NE(json.find(R"("mode":"cfs")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("get":{"offered":2,"completed":1,"unfinished":1)"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("p99_ns":null)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("range":{"offered":0)"), std::string::npos) << json;
}

TEST(RunCsv, OneHeaderAndOneRowPerKind) {
  RunConfig c;
  c.mode = "ghost";
  c.load = 0.25;
  c.offered_rps = 100;
  RunReport r = BuildReport(
      c, {0, 100}, {Finished(Kind::kGet, 0, 10), Unfinished(Kind::kRange, 1)});
  const std::string csv = RunCsv(r);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "mode,load,offered_rps,kind,offered,completed,unfinished,"
            "p50_ns,p99_ns,p999_ns,mean_ns,wake_p50_ns,wake_p99_ns,"
            "queue_p99_ns,generate_p99_ns,service_p50_ns");
  EXPECT_NE(csv.find("\nghost,0.25,100,get,1,1,0,10,10,10,10,3,3,2,1,4\n"),
            std::string::npos)
      << csv;
  // The unfinished range: empty quantiles, not zeros.
  EXPECT_NE(csv.find("\nghost,0.25,100,range,1,0,1,,,,0,,,,,\n"),
            std::string::npos)
      << csv;
}

}  // namespace
}  // namespace ghost::rocksdb_exp
