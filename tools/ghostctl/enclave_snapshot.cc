#include "tools/ghostctl/enclave_snapshot.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "lib/abi/status_word_region.h"
#include "lib/uapi/linux/ghost.h"
#include "tools/ghostctl/cpulist.h"

namespace ghost::ctl {
namespace {

// Agents, runnable and running threads, from the words in use that still
// describe a member (not CANFREE).
void CountStatusWords(const Enclave& enclave, EnclaveSnapshot& s) {
  absl::StatusOr<StatusWordRegion> region =
      StatusWordRegion::Map(enclave.dir());
  if (!region.ok()) return;
  int64_t agents = 0, runnable = 0, on_cpu = 0;
  for (const StatusWord& w : region->InUse()) {
    if (w.can_free()) continue;
    if (w.flags & GHOST_SW_F_AGENT) {
      ++agents;
      continue;
    }
    if (w.on_cpu()) {
      ++on_cpu;
    } else if (w.runnable()) {
      ++runnable;
    }
  }
  if (!s.agents.has_value()) s.agents = agents;
  s.runnable = runnable;
  s.on_cpu = on_cpu;
}

absl::Status ReadOptionals(const Enclave& enclave, EnclaveSnapshot& s) {
  absl::StatusOr<std::optional<std::string>> online =
      ReadOptionalEnclaveFile(enclave, "agent_online");
  if (!online.ok()) return online.status();
  int64_t n;
  if (online->has_value() && absl::SimpleAtoi(**online, &n)) s.agents = n;
  absl::StatusOr<std::optional<std::string>> timeout =
      ReadOptionalEnclaveFile(enclave, "runnable_timeout");
  if (!timeout.ok()) return timeout.status();
  if (timeout->has_value() && absl::SimpleAtoi(**timeout, &n)) {
    s.runnable_timeout_ms = n;
  }
  return absl::OkStatus();
}

}  // namespace

std::optional<int64_t> EnclaveSnapshot::threads() const {
  if (!agents.has_value()) return std::nullopt;
  return static_cast<int64_t>(status.tasks) - *agents;
}

absl::StatusOr<EnclaveSnapshot> TakeSnapshot(const Enclave& enclave) {
  EnclaveSnapshot s;
  s.time = absl::Now();
  absl::StatusOr<EnclaveStatus> status = ReadEnclaveStatus(enclave);
  if (!status.ok()) return status.status();
  s.status = *status;
  if (s.status.agents.has_value()) s.agents = *s.status.agents;
  absl::StatusOr<EnclaveStats> stats = ReadEnclaveStats(enclave);
  if (!stats.ok()) return stats.status();
  s.stats = *stats;
  absl::StatusOr<std::vector<pid_t>> tids = enclave.Tasks();
  if (!tids.ok()) return tids.status();
  s.tids = *tids;
  if (absl::Status st = ReadOptionals(enclave, s); !st.ok()) return st;
  CountStatusWords(enclave, s);
  return s;
}

int64_t CommitCount(const EnclaveStats& stats) {
  int64_t n = 0;
  for (const auto& [name, value] : stats) {
    if (absl::StartsWith(name, "txn_")) n += value;
  }
  return n;
}

int64_t CommitFailures(const EnclaveStats& stats) {
  int64_t n = CommitCount(stats);
  std::optional<int64_t> complete = FindStat(stats, "txn_complete");
  return n - complete.value_or(0);
}

EnclaveStats StatDeltas(const EnclaveStats& before, const EnclaveStats& after) {
  EnclaveStats deltas;
  for (const auto& [name, value] : after) {
    deltas.emplace_back(name, value - FindStat(before, name).value_or(0));
  }
  return deltas;
}

void WriteSnapshotFields(const EnclaveSnapshot& s, JsonWriter& w) {
  w.Key("id").Int(s.status.id);
  w.Key("state").String(s.status.state);
  w.Key("cpus").String(s.status.cpus);
  w.Key("cpu_list").BeginArray();
  absl::StatusOr<std::vector<int>> cpus = ParseCpuList(s.status.cpus);
  if (cpus.ok()) {
    for (int cpu : *cpus) w.Int(cpu);
  }
  w.EndArray();
  w.Key("tasks").Int(s.status.tasks);
  w.Key("threads").OptionalInt(s.threads());
  w.Key("agents").OptionalInt(s.agents);
  w.Key("runnable").OptionalInt(s.runnable);
  w.Key("on_cpu").OptionalInt(s.on_cpu);
  w.Key("runnable_timeout_ms").OptionalInt(s.runnable_timeout_ms);
  w.Key("stats").BeginObject();
  for (const auto& [name, value] : s.stats) w.Key(name).Int(value);
  w.EndObject();
}

namespace {

std::string OrUnknown(const std::optional<int64_t>& v) {
  return v.has_value() ? absl::StrCat(*v) : "? (needs root with CAP_SYS_NICE)";
}

// "new 3, wakeup 10, ..." for the counters whose name starts with `prefix`.
std::string CounterLine(const EnclaveStats& stats, absl::string_view prefix) {
  std::vector<std::string> parts;
  for (const auto& [name, value] : stats) {
    absl::string_view short_name = name;
    if (absl::ConsumePrefix(&short_name, prefix)) {
      parts.push_back(absl::StrCat(short_name, " ", value));
    }
  }
  return absl::StrJoin(parts, ", ");
}

}  // namespace

std::string FormatSnapshot(const EnclaveSnapshot& s) {
  std::string out =
      absl::StrCat("enclave ", s.status.id, " (", s.status.state, ")\n");
  absl::StrAppend(&out, "  cpus:      ",
                  s.status.cpus.empty() ? "none" : s.status.cpus, "\n");
  absl::StrAppend(&out, "  agents:    ", OrUnknown(s.agents), "\n");
  absl::StrAppend(&out, "  threads:   ", OrUnknown(s.threads()),
                  " (members with agents: ", s.status.tasks, ")\n");
  absl::StrAppend(&out, "  runnable:  ", OrUnknown(s.runnable),
                  ", on a CPU: ", OrUnknown(s.on_cpu), "\n");
  if (s.runnable_timeout_ms.has_value()) {
    absl::StrAppend(&out, "  watchdog:  ",
                    *s.runnable_timeout_ms == 0
                        ? std::string("off")
                        : absl::StrCat("destroys the enclave if a thread "
                                       "waits ",
                                       *s.runnable_timeout_ms, " ms"),
                    " (runnable_timeout)\n");
  }
  absl::StrAppend(&out, "  tids:     ");
  for (pid_t tid : s.tids) absl::StrAppend(&out, " ", tid);
  absl::StrAppend(&out, "\n  messages:  ", CounterLine(s.stats, "msg_"), "\n");
  absl::StrAppend(&out, "  commits:   ", CounterLine(s.stats, "txn_"), "\n");
  return out;
}

}  // namespace ghost::ctl
