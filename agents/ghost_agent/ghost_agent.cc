// ghost_agent: schedules a ghost enclave with any policy of
// schedulers/policies.cc. Everything around the policy (enclave, take-over,
// signals, the control socket for `ghostctl agent`) is the runtime's,
// lib/runtime/agent_runtime.h.
//
//   ghost_agent --policy=fifo_percpu --cpus=1-3        # new enclave
//   ghost_agent --policy=fifo_centralized --enclave=4  # an existing one
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "agents/common/agent_flags.h"
#include "schedulers/policies.h"

ABSL_FLAG(std::string, policy, "fifo_percpu",
          "The scheduling policy (see --help for the list).");

int main(int argc, char** argv) {
  const ghost::PolicyRegistry& policies = ghost::Policies();
  absl::SetProgramUsageMessage(absl::StrCat(
      "Schedules a ghost enclave.\n"
      "  ghost_agent --policy=",
      policies.Names(),
      " --cpus=LIST  (new enclave)\n"
      "  ghost_agent --policy=NAME --enclave=N              (existing one)\n"
      "Policies:\n",
      policies.Help()));
  absl::ParseCommandLine(argc, argv);
  return ghost::RunAgentProgram(
      ghost::AgentOptionsFromFlags("ghost_agent", absl::GetFlag(FLAGS_policy)),
      policies);
}
