#include "lib/runtime/takeover.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "lib/abi/ghost_run.h"

namespace ghost {

namespace {

// The Tgid line of /proc/<tid>/status; -1 if the thread is gone.
pid_t ProcessOf(pid_t tid) {
  std::ifstream in(absl::StrCat("/proc/", tid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view v = line;
    pid_t pid;
    if (absl::ConsumePrefix(&v, "Tgid:") &&
        absl::SimpleAtoi(absl::StripAsciiWhitespace(v), &pid)) {
      return pid;
    }
  }
  return -1;
}

std::string CommOf(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/comm"));
  std::string comm;
  std::getline(in, comm);
  return comm;
}

}  // namespace

absl::StatusOr<std::vector<AgentProcess>> FindAgentProcesses(
    const Enclave& enclave, const StatusWordRegion& words) {
  absl::flat_hash_set<uint64_t> agent_gtids;
  words.ForEachInUse([&](const StatusWord& w) {
    if (w.flags & GHOST_SW_F_AGENT) agent_gtids.insert(w.gtid);
  });
  std::vector<AgentProcess> out;
  if (agent_gtids.empty()) return out;
  absl::StatusOr<std::vector<pid_t>> tids = enclave.Tasks();
  if (!tids.ok()) return tids.status();
  for (pid_t tid : *tids) {
    absl::StatusOr<uint64_t> gtid = GetGtid(tid);
    if (!gtid.ok() || !agent_gtids.contains(*gtid)) continue;
    const pid_t pid = ProcessOf(tid);
    if (pid <= 0 || pid == getpid()) continue;
    if (std::none_of(out.begin(), out.end(),
                     [pid](const AgentProcess& p) { return p.pid == pid; })) {
      out.push_back({pid, CommOf(pid)});
    }
  }
  return out;
}

absl::StatusOr<std::vector<pid_t>> ChoosePredecessors(
    unsigned int enclave_id, const std::vector<AgentProcess>& agents,
    bool allowed) {
  std::vector<pid_t> pids;
  for (const AgentProcess& a : agents) {
    if (std::find(std::begin(kRuntimePrograms), std::end(kRuntimePrograms),
                  a.comm) == std::end(kRuntimePrograms)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "enclave ", enclave_id, " is run by process ", a.pid, " (", a.comm,
          "), which is not agent_fifo or ghost_agent: stop it first"));
    }
    if (!allowed) {
      return absl::FailedPreconditionError(absl::StrCat(
          "enclave ", enclave_id, " is run by ", a.comm, " ", a.pid,
          ": stop it, or pass --takeover to replace it in place"));
    }
    pids.push_back(a.pid);
  }
  return pids;
}

}  // namespace ghost
