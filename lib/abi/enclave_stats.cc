#include "lib/abi/enclave_stats.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace ghost {
namespace {

// Splits "name value" lines ("cpus " has an empty value); a line without a
// space is an error.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> SplitLines(
    absl::string_view text, absl::string_view file) {
  std::vector<std::pair<std::string, std::string>> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(line, absl::MaxSplits(' ', 1));
    if (kv.first.empty() || line.find(' ') == absl::string_view::npos) {
      return absl::InternalError(
          absl::StrCat("enclave ", file,
                       " file: expected \"name value\", got \"", line, "\""));
    }
    lines.emplace_back(std::string(kv.first),
                       std::string(absl::StripAsciiWhitespace(kv.second)));
  }
  return lines;
}

absl::Status BadNumber(absl::string_view file, absl::string_view name,
                       absl::string_view value) {
  return absl::InternalError(absl::StrCat("enclave ", file, " file: ", name,
                                          " is not a number: \"", value, "\""));
}

}  // namespace

absl::StatusOr<EnclaveStatus> ParseEnclaveStatus(absl::string_view text) {
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> lines =
      SplitLines(text, "status");
  if (!lines.ok()) return lines.status();
  EnclaveStatus status;
  bool have_id = false, have_tasks = false, have_state = false;
  for (const auto& [name, value] : *lines) {
    if (name == "id") {
      if (!absl::SimpleAtoi(value, &status.id)) {
        return BadNumber("status", name, value);
      }
      have_id = true;
    } else if (name == "cpus") {
      status.cpus = value;
    } else if (name == "tasks") {
      if (!absl::SimpleAtoi(value, &status.tasks)) {
        return BadNumber("status", name, value);
      }
      have_tasks = true;
    } else if (name == "agents") {
      unsigned int agents;
      if (!absl::SimpleAtoi(value, &agents)) {
        return BadNumber("status", name, value);
      }
      status.agents = agents;
    } else if (name == "state") {
      status.state = value;
      have_state = true;
    }
  }
  if (!have_id || !have_tasks || !have_state) {
    return absl::InternalError(
        "enclave status file: missing id, tasks or state line");
  }
  return status;
}

absl::StatusOr<EnclaveStats> ParseEnclaveStats(absl::string_view text) {
  EnclaveStats stats;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(line, absl::MaxSplits(' ', 1));
    int64_t value;
    if (kv.first.empty() || !absl::SimpleAtoi(kv.second, &value)) {
      return absl::InternalError(absl::StrCat(
          "enclave stats file: expected \"name number\", got \"", line, "\""));
    }
    stats.emplace_back(std::string(kv.first), value);
  }
  return stats;
}

std::optional<int64_t> FindStat(const EnclaveStats& stats,
                                absl::string_view name) {
  for (const auto& [n, v] : stats) {
    if (n == name) return v;
  }
  return std::nullopt;
}

absl::StatusOr<EnclaveStatus> ReadEnclaveStatus(const Enclave& enclave) {
  absl::StatusOr<std::string> text = ReadGhostfsFile(enclave.dir() + "/status");
  if (!text.ok()) return text.status();
  return ParseEnclaveStatus(*text);
}

absl::StatusOr<EnclaveStats> ReadEnclaveStats(const Enclave& enclave) {
  absl::StatusOr<std::string> text = ReadGhostfsFile(enclave.dir() + "/stats");
  if (!text.ok()) return text.status();
  return ParseEnclaveStats(*text);
}

absl::StatusOr<std::optional<std::string>> ReadOptionalEnclaveFile(
    const Enclave& enclave, absl::string_view name) {
  absl::StatusOr<std::string> text =
      ReadGhostfsFile(absl::StrCat(enclave.dir(), "/", name));
  if (absl::IsNotFound(text.status())) return std::nullopt;
  if (!text.ok()) return text.status();
  return std::string(absl::StripAsciiWhitespace(*text));
}

}  // namespace ghost
