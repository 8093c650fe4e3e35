#include "lib/runtime/control_protocol.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace ghost {
namespace {

constexpr char kHeader[] = "ghost-agent-control";

// Newlines would end the line early: a value is one line.
std::string OneLine(absl::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

}  // namespace

std::string ControlSocketPath(absl::string_view dir, unsigned int enclave_id) {
  return absl::StrCat(dir, "/enclave_", enclave_id, ".sock");
}

int EnclaveOfSocketName(absl::string_view name) {
  unsigned int id;
  if (!absl::ConsumePrefix(&name, "enclave_") ||
      !absl::ConsumeSuffix(&name, ".sock") || name.empty() ||
      !absl::ascii_isdigit(name[0]) || !absl::SimpleAtoi(name, &id) ||
      id > 0x7fffffff) {
    return -1;
  }
  return static_cast<int>(id);
}

std::string EncodeRequest(ControlRequest request) {
  switch (request) {
    case ControlRequest::kStop:
      return "stop\n";
    case ControlRequest::kHints:
      return "hints\n";
    case ControlRequest::kStatus:
      break;
  }
  return "status\n";
}

absl::StatusOr<ControlRequest> DecodeRequest(absl::string_view line) {
  line = absl::StripAsciiWhitespace(line);
  if (line == "status") return ControlRequest::kStatus;
  if (line == "stop") return ControlRequest::kStop;
  if (line == "hints") return ControlRequest::kHints;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown request '", OneLine(line),
                   "': the requests are status, stop, hints"));
}

uint64_t AgentReport::counter(absl::string_view name) const {
  for (const auto& [n, v] : counters) {
    if (n == name) return v;
  }
  return 0;
}

std::string EncodeReport(const AgentReport& r) {
  std::string out = absl::StrCat(kHeader, " ", kControlProtocolVersion, "\n");
  absl::StrAppend(&out, "program ", OneLine(r.program), "\n");
  absl::StrAppend(&out, "policy ", OneLine(r.policy), "\n");
  absl::StrAppend(&out, "pid ", r.pid, "\n");
  absl::StrAppend(&out, "enclave ", r.enclave, "\n");
  absl::StrAppend(&out, "cpus ", OneLine(r.cpus), "\n");
  absl::StrAppend(&out, "started_unix_ms ", r.started_unix_ms, "\n");
  for (const auto& [name, value] : r.counters) {
    absl::StrAppend(&out, "counter ", OneLine(name), " ", value, "\n");
  }
  absl::StrAppend(&out, "end\n");
  return out;
}

std::string EncodeError(absl::string_view message) {
  return absl::StrCat("error ", OneLine(message), "\n");
}

absl::StatusOr<AgentReport> DecodeReply(absl::string_view text) {
  if (absl::ConsumePrefix(&text, "error ")) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the agent says: ", absl::StripTrailingAsciiWhitespace(text)));
  }
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  if (lines.empty() ||
      lines[0] != absl::StrCat(kHeader, " ", kControlProtocolVersion)) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a ghost agent's reply (expected '", kHeader, " ",
                     kControlProtocolVersion, "' first, got '",
                     OneLine(lines.empty() ? "" : lines[0]), "')"));
  }
  AgentReport r;
  bool ended = false;
  int seen = 0;  // one bit per required key
  for (size_t i = 1; i < lines.size() && !ended; ++i) {
    absl::string_view line = lines[i];
    if (line == "end") {
      ended = true;
      break;
    }
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(line, absl::MaxSplits(' ', 1));
    const absl::string_view key = kv.first;
    const absl::string_view value = kv.second;
    bool ok = true;
    if (key == "program") {
      r.program = std::string(value);
      seen |= 1;
    } else if (key == "policy") {
      r.policy = std::string(value);
      seen |= 2;
    } else if (key == "pid") {
      ok = absl::SimpleAtoi(value, &r.pid);
      seen |= 4;
    } else if (key == "enclave") {
      ok = absl::SimpleAtoi(value, &r.enclave);
      seen |= 8;
    } else if (key == "cpus") {
      r.cpus = std::string(value);
      seen |= 16;
    } else if (key == "started_unix_ms") {
      ok = absl::SimpleAtoi(value, &r.started_unix_ms);
      seen |= 32;
    } else if (key == "counter") {
      std::pair<absl::string_view, absl::string_view> nv =
          absl::StrSplit(value, absl::MaxSplits(' ', 1));
      uint64_t n;
      ok = !nv.first.empty() && absl::SimpleAtoi(nv.second, &n);
      if (ok) r.counters.emplace_back(std::string(nv.first), n);
    }
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad line in the agent's reply: '", line, "'"));
    }
  }
  if (!ended) {
    return absl::InvalidArgumentError(
        "the agent's reply ends early (no 'end' line)");
  }
  if (seen != 63) {
    return absl::InvalidArgumentError(
        "the agent's reply lacks program, policy, pid, enclave, cpus or "
        "started_unix_ms");
  }
  return r;
}

}  // namespace ghost
