// Command-line words of one ghostctl command, split into options and
// positional arguments by the command's option table.
//
//   ParseArgs({"7", "--cpus", "1-3"}, {{"cpus", true}}, false)
//     -> positional {"7"}, options {"cpus": "1-3"}
//
// "--name=value" and "--name value" are the same; "-h"/"--help" sets help;
// "--" ends the options and everything after it goes to `rest`.
#ifndef GHOST_TOOLS_GHOSTCTL_ARGS_H_
#define GHOST_TOOLS_GHOSTCTL_ARGS_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ghost::ctl {

struct OptionSpec {
  std::string name;             // without the dashes
  bool takes_value;             // "--cpus 1-3" vs "--json"
  std::string value_name = "";  // for help: "LIST"
  std::string help = "";
};

struct ParsedArgs {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;  // a flag maps to ""
  std::vector<std::string> rest;               // after "--"
  bool dashdash = false;                       // "--" was given
  bool help = false;

  bool Has(const std::string& name) const { return options.count(name); }
  std::optional<std::string> Get(const std::string& name) const;
};

// With `stop_at_first_positional`, the first positional word and all after
// it go to `rest` (for "ghostctl run ... cmd --its-own-flags").
// InvalidArgument for an unknown option or a missing value.
absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& words,
                                     const std::vector<OptionSpec>& spec,
                                     bool stop_at_first_positional);

}  // namespace ghost::ctl

#endif  // GHOST_TOOLS_GHOSTCTL_ARGS_H_
