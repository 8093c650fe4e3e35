// The handlers of the command table, one file each (cmd_*.cc).
#ifndef GHOST_TOOLS_GHOSTCTL_COMMANDS_H_
#define GHOST_TOOLS_GHOSTCTL_COMMANDS_H_

#include "tools/ghostctl/command_table.h"

namespace ghost::ctl {

int RunStatus(const Invocation& inv);         // cmd_status.cc
int RunEnclaveCreate(const Invocation& inv);  // cmd_enclave.cc
int RunEnclaveDestroy(const Invocation& inv);
int RunEnclaveList(const Invocation& inv);
int RunEnclaveStatus(const Invocation& inv);
int RunEnclaveCpus(const Invocation& inv);
int RunMove(const Invocation& inv);   // cmd_move.cc
int RunRun(const Invocation& inv);    // cmd_run.cc
int RunWatch(const Invocation& inv);  // cmd_watch.cc
int RunAgentList(const Invocation& inv);  // cmd_agent.cc
int RunAgentStatus(const Invocation& inv);
int RunAgentStop(const Invocation& inv);
int RunExtStatus(const Invocation& inv);  // cmd_ext.cc
int RunExtMove(const Invocation& inv);
int RunExtRun(const Invocation& inv);

}  // namespace ghost::ctl

#endif  // GHOST_TOOLS_GHOSTCTL_COMMANDS_H_
