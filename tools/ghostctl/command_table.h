// The table of ghostctl commands and the dispatcher: which words name which
// command, its options and positional arguments, its help text, and the
// exit-code convention (0 ok, 1 the operation failed, 2 usage error).
//
//   int rc = ghost::ctl::Dispatch({"enclave", "create", "7", "--cpus", "1"});
#ifndef GHOST_TOOLS_GHOSTCTL_COMMAND_TABLE_H_
#define GHOST_TOOLS_GHOSTCTL_COMMAND_TABLE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tools/ghostctl/args.h"

namespace ghost::ctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

struct Invocation {
  std::string ghostfs;  // --ghostfs, default /sys/fs/ghost
  ParsedArgs args;
};

struct Command {
  std::string name;      // "enclave create"
  std::string synopsis;  // "<id> [--cpus LIST]"
  std::string summary;   // one line, for the command list
  std::string details;   // more, for --help
  std::vector<OptionSpec> options;
  int min_positional = 0;
  int max_positional = 0;  // -1: any number
  bool stop_at_first_positional = false;
  int (*run)(const Invocation&) = nullptr;
};

const std::vector<Command>& Commands();

// Runs the command that `words` (argv without the program name) names.
int Dispatch(const std::vector<std::string>& words);

// The whole usage text, or one command's.
std::string MainUsage();
std::string CommandHelp(const Command& c);

// Prints "ghostctl: <message>" on stderr; returns kExitFailed.
int Fail(const absl::Status& status);
// Prints "ghostctl <name>: <why>" and the command's synopsis; kExitUsage.
int UsageError(const std::string& command, const std::string& why);

}  // namespace ghost::ctl

#endif  // GHOST_TOOLS_GHOSTCTL_COMMAND_TABLE_H_
