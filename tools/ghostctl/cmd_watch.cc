// ghostctl watch [<id>] [--interval DURATION] [--count N] [--json]
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tools/ghostctl/commands.h"
#include "tools/ghostctl/enclave_snapshot.h"
#include "tools/ghostctl/ghostfs_session.h"
#include "lib/util/json_writer.h"
#include "tools/ghostctl/watch_options.h"

namespace ghost::ctl {
namespace {

using Snapshots = std::map<unsigned int, EnclaveSnapshot>;

// The enclaves to show: `only`, or all of them.
absl::StatusOr<Snapshots> Sample(const std::string& mount,
                                 std::optional<unsigned int> only) {
  std::vector<unsigned int> ids;
  if (only.has_value()) {
    ids.push_back(*only);
  } else {
    absl::StatusOr<std::vector<unsigned int>> all = ListEnclaveIds(mount);
    if (!all.ok()) return all.status();
    ids = *all;
  }
  Snapshots out;
  for (unsigned int id : ids) {
    absl::StatusOr<EnclaveSnapshot> s = TakeSnapshot(Enclave(id, mount));
    if (s.ok()) {
      out.emplace(id, *std::move(s));
    } else if (only.has_value()) {
      std::optional<std::string> reason = DestroyReason(mount, id);
      return absl::NotFoundError(absl::StrCat(
          "enclave ", id, " went away: ",
          reason.has_value() ? *reason : std::string(s.status().message())));
    }
  }
  return out;
}

EnclaveStats DeltasOf(const Snapshots& before, const EnclaveSnapshot& now) {
  auto it = before.find(now.status.id);
  return StatDeltas(it == before.end() ? EnclaveStats{} : it->second.stats,
                    now.stats);
}

void PrintJson(const Snapshots& before, const Snapshots& now,
               absl::Duration interval, int sample) {
  JsonWriter w;
  w.BeginObject();
  w.Key("sample").Int(sample);
  w.Key("time").String(
      absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone()));
  w.Key("interval_ms").Int(absl::ToInt64Milliseconds(interval));
  w.Key("enclaves").BeginArray();
  for (const auto& [id, s] : now) {
    const EnclaveStats d = DeltasOf(before, s);
    w.BeginObject();
    WriteSnapshotFields(s, w);
    w.Key("deltas").BeginObject();
    for (const auto& [name, value] : d) w.Key(name).Int(value);
    w.EndObject();
    w.Key("commits").Int(CommitCount(d));
    w.Key("commit_failures").Int(CommitFailures(d));
    w.EndObject();
  }
  w.EndArray().EndObject();
  printf("%s\n", w.str().c_str());
}

std::string Known(const std::optional<int64_t>& v) {
  return v.has_value() ? absl::StrCat(*v) : "?";
}

// The failed commit results of the interval: "target_stale +3, ...".
std::string Failures(const EnclaveStats& d) {
  std::vector<std::string> parts;
  for (const auto& [name, value] : d) {
    if (value != 0 && name != "txn_complete" && name.rfind("txn_", 0) == 0) {
      parts.push_back(absl::StrCat(name.substr(4), " +", value));
    }
  }
  return absl::StrJoin(parts, ", ");
}

void PrintText(const Snapshots& before, const Snapshots& now,
               absl::Duration interval) {
  printf("-- %s, per %s --\n",
         absl::FormatTime("%H:%M:%S", absl::Now(), absl::UTCTimeZone()).c_str(),
         absl::FormatDuration(interval).c_str());
  if (now.empty()) {
    printf("no enclaves\n");
  } else {
    printf("%-8s %-6s %-10s %-6s %-7s %-8s %-8s %-8s %s\n", "ENCLAVE", "STATE",
           "CPUS", "AGENTS", "THREADS", "RUNNABLE", "COMMITS", "FAILED",
           "MSGS");
  }
  for (const auto& [id, s] : now) {
    const EnclaveStats d = DeltasOf(before, s);
    int64_t msgs = 0;
    for (const auto& [name, value] : d) {
      if (name.rfind("msg_", 0) == 0) msgs += value;
    }
    printf("%-8u %-6s %-10s %-6s %-7s %-8s +%-7lld +%-7lld +%lld\n", id,
           s.status.state.c_str(),
           s.status.cpus.empty() ? "-" : s.status.cpus.c_str(),
           Known(s.agents).c_str(), Known(s.threads()).c_str(),
           Known(s.runnable).c_str(), static_cast<long long>(CommitCount(d)),
           static_cast<long long>(CommitFailures(d)),
           static_cast<long long>(msgs));
    const std::string failures = Failures(d);
    if (!failures.empty()) printf("         failed: %s\n", failures.c_str());
  }
  fflush(stdout);
}

}  // namespace

int RunWatch(const Invocation& inv) {
  absl::StatusOr<WatchOptions> opts = ParseWatchOptions(inv.args);
  if (!opts.ok()) {
    return UsageError("watch", std::string(opts.status().message()));
  }
  if (absl::Status s = PrepareGhostfs(inv.ghostfs); !s.ok()) return Fail(s);
  if (opts->enclave.has_value()) {
    absl::StatusOr<Enclave> e = OpenEnclave(inv.ghostfs, *opts->enclave);
    if (!e.ok()) return Fail(e.status());
  }
  absl::StatusOr<Snapshots> before = Sample(inv.ghostfs, opts->enclave);
  if (!before.ok()) return Fail(before.status());
  for (int i = 1; opts->count == 0 || i <= opts->count; ++i) {
    absl::SleepFor(opts->interval);
    absl::StatusOr<Snapshots> now = Sample(inv.ghostfs, opts->enclave);
    if (!now.ok()) return Fail(now.status());
    if (opts->json) {
      PrintJson(*before, *now, opts->interval, i);
    } else {
      PrintText(*before, *now, opts->interval);
    }
    before = std::move(now);
  }
  return kExitOk;
}

}  // namespace ghost::ctl
