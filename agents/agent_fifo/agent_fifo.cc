// agent_fifo: schedules an enclave's threads first-come first-served; the
// FIFO policies of ghost_agent under their old command line.
//
//   agent_fifo --mode=percpu --cpus=1-3             # new enclave, CPUs 1-3
//   agent_fifo --mode=centralized --enclave=4       # an existing enclave
//
// --mode=percpu is ghost_agent --policy=fifo_percpu: each CPU's agent runs
// its own FIFO and steals from others. --mode=centralized is
// --policy=fifo_centralized: one global agent fills every other CPU, one
// commit per round. Everything else (signals, --on_exit, take-over, the
// control socket, a destroyed enclave) is the runtime's:
// lib/runtime/agent_runtime.h.
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "agents/common/agent_flags.h"
#include "schedulers/policies.h"

ABSL_FLAG(std::string, mode, "percpu", "percpu or centralized");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "FIFO scheduling of a ghost enclave.\n"
      "  agent_fifo --mode=percpu|centralized --cpus=LIST   (new enclave)\n"
      "  agent_fifo --mode=percpu|centralized --enclave=N   (existing one)");
  absl::ParseCommandLine(argc, argv);
  const std::string mode = absl::GetFlag(FLAGS_mode);
  if (mode != "percpu" && mode != "centralized") {
    std::cerr << "agent_fifo: --mode=" << mode
              << " is not a mode: use percpu or centralized\n";
    return 1;
  }
  return ghost::RunAgentProgram(
      ghost::AgentOptionsFromFlags("agent_fifo", "fifo_" + mode),
      ghost::Policies());
}
