#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/ghostctl/enclave_snapshot.h"
#include "tools/ghostctl/json_reader.h"
#include "tools/ghostctl/watch_options.h"

namespace ghost::ctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

TEST(ParseInterval, AcceptsDurationsAndSeconds) {
  EXPECT_EQ(*ParseInterval("500ms"), absl::Milliseconds(500));
  EXPECT_EQ(*ParseInterval("2s"), absl::Seconds(2));
  EXPECT_EQ(*ParseInterval("0.25"), absl::Milliseconds(250));
}

TEST(ParseInterval, RejectsGarbageAndSillyValues) {
  EXPECT_THAT(ParseInterval("soon").status().message(),
              HasSubstr("expected a duration such as 500ms"));
  EXPECT_FALSE(ParseInterval("0").ok());
  EXPECT_FALSE(ParseInterval("-1s").ok());
  EXPECT_FALSE(ParseInterval("2h").ok());
}

TEST(ParseWatchOptions, ReadsIdIntervalCountJson) {
  ParsedArgs a;
  a.positional = {"7"};
  a.options = {{"interval", "200ms"}, {"count", "2"}, {"json", ""}};
  absl::StatusOr<WatchOptions> o = ParseWatchOptions(a);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->enclave, 7u);
  EXPECT_EQ(o->interval, absl::Milliseconds(200));
  EXPECT_EQ(o->count, 2);
  EXPECT_TRUE(o->json);
}

TEST(ParseWatchOptions, RejectsABadCountOrId) {
  ParsedArgs a;
  a.options = {{"count", "0"}};
  EXPECT_FALSE(ParseWatchOptions(a).ok());
  a.options = {};
  a.positional = {"x"};
  EXPECT_FALSE(ParseWatchOptions(a).ok());
}

TEST(StatDeltas, SubtractsByNameAndCountsNewCountersFromZero) {
  EnclaveStats before = {{"msg_new", 3}, {"txn_complete", 10}};
  EnclaveStats after = {
      {"msg_new", 5}, {"txn_complete", 10}, {"txn_target_stale", 2}};
  EXPECT_THAT(StatDeltas(before, after),
              ElementsAre(Pair("msg_new", 2), Pair("txn_complete", 0),
                          Pair("txn_target_stale", 2)));
}

TEST(CommitCount, SumsTxnCountersAndFailuresExcludeComplete) {
  EnclaveStats s = {{"msg_new", 100},
                    {"txn_complete", 7},
                    {"txn_target_stale", 2},
                    {"txn_no_agent", 1}};
  EXPECT_EQ(CommitCount(s), 10);
  EXPECT_EQ(CommitFailures(s), 3);
}

EnclaveSnapshot Example() {
  EnclaveSnapshot s;
  s.status = {7, "1-2", 3, "live"};
  s.stats = {{"msg_new", 3}, {"txn_complete", 12}};
  s.tids = {100, 101, 102};
  s.agents = 1;
  s.runnable = 1;
  s.on_cpu = 0;
  return s;
}

TEST(WriteSnapshotFields, HasTheDocumentedKeys) {
  JsonWriter w;
  w.BeginObject();
  WriteSnapshotFields(Example(), w);
  w.EndObject();
  absl::StatusOr<JsonValue> v = ParseJson(w.str());
  ASSERT_TRUE(v.ok()) << v.status() << " in " << w.str();
  for (const char* key :
       {"id", "state", "cpus", "cpu_list", "tasks", "threads", "agents",
        "runnable", "on_cpu", "runnable_timeout_ms", "stats"}) {
    EXPECT_NE(v->Get(key), nullptr) << key;
  }
  EXPECT_EQ(v->Get("threads")->number, 2);  // 3 members, 1 agent
  EXPECT_EQ(v->Get("cpu_list")->array.size(), 2u);
  EXPECT_EQ(v->Get("stats")->Get("txn_complete")->number, 12);
  EXPECT_EQ(v->Get("runnable_timeout_ms")->type, JsonValue::Type::kNull);
}

TEST(WriteSnapshotFields, UnknownCountsAreNull) {
  EnclaveSnapshot s = Example();
  s.agents.reset();
  s.runnable.reset();
  JsonWriter w;
  w.BeginObject();
  WriteSnapshotFields(s, w);
  w.EndObject();
  absl::StatusOr<JsonValue> v = ParseJson(w.str());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->Get("agents")->type, JsonValue::Type::kNull);
  EXPECT_EQ(v->Get("threads")->type, JsonValue::Type::kNull);
  EXPECT_EQ(v->Get("runnable")->type, JsonValue::Type::kNull);
}

TEST(FormatSnapshot, ShowsCountersAndOptionalTunables) {
  EnclaveSnapshot s = Example();
  s.runnable_timeout_ms = 10000;
  const std::string text = FormatSnapshot(s);
  EXPECT_THAT(text, HasSubstr("enclave 7 (live)"));
  EXPECT_THAT(text, HasSubstr("cpus:      1-2"));
  EXPECT_THAT(text, HasSubstr("threads:   2 (members with agents: 3)"));
  EXPECT_THAT(
      text,
      HasSubstr("watchdog:  destroys the enclave if a thread waits 10000 ms"));
  EXPECT_THAT(text, HasSubstr("messages:  new 3"));
  EXPECT_THAT(text, HasSubstr("commits:   complete 12"));
  EXPECT_THAT(FormatSnapshot(Example()), ::testing::Not(HasSubstr("watchdog")));
}

}  // namespace
}  // namespace ghost::ctl
