// ghostctl agent list|status|stop: talks to running agents through the
// control socket each serves (lib/runtime/control_protocol.h).
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lib/runtime/control_client.h"
#include "lib/runtime/control_protocol.h"
#include "tools/ghostctl/commands.h"
#include "lib/util/json_writer.h"

namespace ghost::ctl {
namespace {

std::string SocketDir(const Invocation& inv) {
  return inv.args.Get("socket_dir").value_or(kControlDir);
}

// The failure, with what to do about it.
absl::Status Explain(const absl::Status& s, unsigned int id) {
  std::string hint;
  switch (s.code()) {
    case absl::StatusCode::kNotFound:
      hint = absl::StrCat(
          ": no agent runs enclave ", id,
          ", or it is one without a control socket. Start one: ghost_agent "
          "--enclave=",
          id, " --policy=fifo_percpu (ghostctl enclave status ", id,
          " shows its agents)");
      break;
    case absl::StatusCode::kUnavailable:
      hint = absl::StrCat(
          ". Start a new agent (ghost_agent --enclave=", id,
          " --policy=...), which replaces the socket; its threads wait "
          "until then");
      break;
    case absl::StatusCode::kDeadlineExceeded:
      hint =
          ". The agent may be stuck: ghostctl enclave status shows its "
          "threads; kill it and start another";
      break;
    default:
      break;
  }
  return absl::Status(s.code(), absl::StrCat(s.message(), hint));
}

absl::StatusOr<unsigned int> EnclaveId(const std::string& word) {
  unsigned int id;
  if (!absl::SimpleAtoi(word, &id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", word, "' is not an enclave id"));
  }
  return id;
}

std::string Since(int64_t started_unix_ms) {
  const absl::Time started = absl::FromUnixMillis(started_unix_ms);
  return absl::StrCat(
      absl::FormatTime("%Y-%m-%d %H:%M:%S", started, absl::LocalTimeZone()),
      " (",
      absl::FormatDuration(
          absl::Trunc(absl::Now() - started, absl::Seconds(1))),
      " ago)");
}

void PrintJson(const AgentReport& r) {
  JsonWriter w;
  w.BeginObject();
  w.Key("enclave").Int(r.enclave);
  w.Key("program").String(r.program);
  w.Key("policy").String(r.policy);
  w.Key("pid").Int(r.pid);
  w.Key("cpus").String(r.cpus);
  w.Key("started_unix_ms").Int(r.started_unix_ms);
  w.Key("counters").BeginObject();
  for (const auto& [name, value] : r.counters) w.Key(name).Int(value);
  w.EndObject().EndObject();
  printf("%s\n", w.str().c_str());
}

// Enclave ids with a socket in `dir`, ascending.
std::vector<unsigned int> SocketEnclaves(const std::string& dir) {
  std::vector<unsigned int> ids;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return ids;
  while (dirent* e = readdir(d)) {
    if (const int id = EnclaveOfSocketName(e->d_name); id >= 0) {
      ids.push_back(id);
    }
  }
  closedir(d);
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace

int RunAgentList(const Invocation& inv) {
  const std::string dir = SocketDir(inv);
  const std::vector<unsigned int> ids = SocketEnclaves(dir);
  if (ids.empty()) {
    printf(
        "no agent serves a control socket in %s (start one: ghost_agent "
        "--enclave=N --policy=...)\n",
        dir.c_str());
    return kExitOk;
  }
  printf("%-8s %-12s %-17s %-8s %-10s %-10s %s\n", "ENCLAVE", "PROGRAM",
         "POLICY", "PID", "CPUS", "COMMITS", "SINCE");
  int failed = 0;
  for (unsigned int id : ids) {
    absl::StatusOr<AgentReport> r =
        AskAgent(ControlSocketPath(dir, id), ControlRequest::kStatus);
    if (!r.ok()) {
      printf("%-8u not answering: %s\n", id,
             std::string(Explain(r.status(), id).message()).c_str());
      ++failed;
      continue;
    }
    printf("%-8u %-12s %-17s %-8d %-10s %-10llu %s\n", id, r->program.c_str(),
           r->policy.c_str(), r->pid, r->cpus.c_str(),
           static_cast<unsigned long long>(r->counter("commits")),
           Since(r->started_unix_ms).c_str());
  }
  return failed > 0 ? kExitFailed : kExitOk;
}

int RunAgentStatus(const Invocation& inv) {
  absl::StatusOr<unsigned int> id = EnclaveId(inv.args.positional[0]);
  if (!id.ok())
    return UsageError("agent status", std::string(id.status().message()));
  absl::StatusOr<AgentReport> r =
      AskAgent(ControlSocketPath(SocketDir(inv), *id), ControlRequest::kStatus);
  if (!r.ok()) return Fail(Explain(r.status(), *id));
  if (inv.args.Has("json")) {
    PrintJson(*r);
    return kExitOk;
  }
  printf("enclave:  %u\n", r->enclave);
  printf("agent:    %s (pid %d)\n", r->program.c_str(), r->pid);
  printf("policy:   %s\n", r->policy.c_str());
  printf("since:    %s\n", Since(r->started_unix_ms).c_str());
  printf("cpus:     %s\n", r->cpus.c_str());
  for (const auto& [name, value] : r->counters) {
    printf("  %-16s %llu\n", name.c_str(),
           static_cast<unsigned long long>(value));
  }
  return kExitOk;
}

int RunAgentStop(const Invocation& inv) {
  absl::StatusOr<unsigned int> id = EnclaveId(inv.args.positional[0]);
  if (!id.ok())
    return UsageError("agent stop", std::string(id.status().message()));
  const std::string path = ControlSocketPath(SocketDir(inv), *id);
  absl::StatusOr<AgentReport> r = AskAgent(path, ControlRequest::kStop);
  if (!r.ok()) return Fail(Explain(r.status(), *id));
  // The agent removes its socket as it stops.
  const absl::Time end = absl::Now() + absl::Seconds(10);
  while (access(path.c_str(), F_OK) == 0 && absl::Now() < end) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  if (access(path.c_str(), F_OK) == 0) {
    return Fail(absl::DeadlineExceededError(absl::StrFormat(
        "%s (pid %d) was asked to stop but still serves %s after 10 s: "
        "kill it",
        r->program, r->pid, path)));
  }
  printf(
      "enclave %u: %s (pid %d, %s) stopped; what happens to the enclave "
      "follows its --on_exit\n",
      *id, r->program.c_str(), r->pid, r->policy.c_str());
  return kExitOk;
}

}  // namespace ghost::ctl
