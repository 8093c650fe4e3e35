// The agent control protocol: how `ghostctl agent` talks to a running
// agent over the unix socket the agent serves (ControlSocketPath()). One
// request per connection, one line of text ("status", "stop" or "hints":
// the last carries an application's hint region as a file descriptor,
// SCM_RIGHTS, with its first byte; see docs/abi.md "Hint regions"); the
// reply is text lines, "key value" each, from a version line to "end":
//
//   ghost-agent-control 1
//   program agent_fifo
//   policy fifo_percpu
//   pid 412
//   enclave 1
//   cpus 1-3
//   started_unix_ms 1718000000000
//   counter messages 5630
//   counter commits 2811
//   end
//
// or "error TEXT". Unknown keys are skipped (newer agents may add some);
// a missing one is an error. Pure functions: host-tested.
#ifndef GHOST_LIB_RUNTIME_CONTROL_PROTOCOL_H_
#define GHOST_LIB_RUNTIME_CONTROL_PROTOCOL_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ghost {

inline constexpr char kControlDir[] = "/run/ghost";
inline constexpr int kControlProtocolVersion = 1;

// <dir>/enclave_<id>.sock
std::string ControlSocketPath(absl::string_view dir, unsigned int enclave_id);

// The enclave id of a socket file name ("enclave_3.sock"), or -1.
int EnclaveOfSocketName(absl::string_view name);

enum class ControlRequest { kStatus, kStop, kHints };

std::string EncodeRequest(ControlRequest request);  // "status\n"
absl::StatusOr<ControlRequest> DecodeRequest(absl::string_view line);

// What a running agent says about itself.
struct AgentReport {
  std::string program;  // agent_fifo, ghost_agent
  std::string policy;   // fifo_percpu ...
  pid_t pid = 0;
  unsigned int enclave = 0;
  std::string cpus;  // "1-3"
  int64_t started_unix_ms = 0;
  // Counters in a stable order: messages, commits, failed commits ...
  std::vector<std::pair<std::string, uint64_t>> counters;

  // The counter called `name`, or 0.
  uint64_t counter(absl::string_view name) const;
};

std::string EncodeReport(const AgentReport& report);
std::string EncodeError(absl::string_view message);

// A reply: the report, or the agent's error as a FailedPrecondition.
absl::StatusOr<AgentReport> DecodeReply(absl::string_view text);

}  // namespace ghost

#endif  // GHOST_LIB_RUNTIME_CONTROL_PROTOCOL_H_
