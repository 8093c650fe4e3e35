// The agent runtime: everything an agent program does around its policy,
// so that its main() only reads flags and names a policy.
//
//   checks      root with CAP_SYS_NICE, ghostfs mounted, the ABI version
//   enclave     opens --enclave=N, or creates one with --cpus=LIST
//   take-over   asks a running agent_fifo/ghost_agent to hand over (SIGUSR1)
//   process     stop signals, small locked stacks, mlockall
//   agents      the policy from the registry, one agent thread per CPU
//   control     serves <control_dir>/enclave_<id>.sock (ghostctl agent)
//   output      "PROGRAM: ready: ..." with start-up times, a blackout
//               line after a take-over, the census and counters on exit
//   exit        keeps or destroys the enclave (--on_exit); exits 1 with
//               the kernel's reason if the enclave was destroyed under it
//
//   int main(int argc, char** argv) {
//     absl::ParseCommandLine(argc, argv);
//     return RunAgentProgram(AgentOptionsFromFlags("ghost_agent"),
//                            Policies());
//   }
#ifndef GHOST_LIB_RUNTIME_AGENT_RUNTIME_H_
#define GHOST_LIB_RUNTIME_AGENT_RUNTIME_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "lib/runtime/control_protocol.h"
#include "lib/runtime/enclave_choice.h"
#include "lib/runtime/policy_registry.h"

namespace ghost {

struct AgentOptions {
  std::string program;  // starts every line it prints: "ghost_agent"
  std::string policy;   // a name in the registry
  EnclaveChoice enclave;
  std::string on_exit;  // "destroy", "keep", "" (ParseOnExit)
  bool takeover = true;
  std::optional<absl::Duration> slice;  // nullopt: the policy's default
  absl::Duration attach_timeout = absl::Seconds(10);
  std::string sysfs = "/sys";
  std::string control_dir = kControlDir;  // empty: no control socket
};

// Runs the agent until it is stopped; OK if it stopped as asked.
absl::Status RunAgent(const AgentOptions& options,
                      const PolicyRegistry& registry);

// RunAgent, with its error printed as "PROGRAM: message": the exit code
// (0, or 1).
int RunAgentProgram(const AgentOptions& options,
                    const PolicyRegistry& registry);

}  // namespace ghost

#endif  // GHOST_LIB_RUNTIME_AGENT_RUNTIME_H_
