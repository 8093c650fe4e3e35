// The options of `ghostctl watch`, parsed and checked.
#ifndef GHOST_TOOLS_GHOSTCTL_WATCH_OPTIONS_H_
#define GHOST_TOOLS_GHOSTCTL_WATCH_OPTIONS_H_

#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tools/ghostctl/args.h"

namespace ghost::ctl {

struct WatchOptions {
  std::optional<unsigned int> enclave;  // all enclaves if absent
  absl::Duration interval = absl::Seconds(1);
  int count = 0;  // 0: until interrupted
  bool json = false;
};

// "500ms", "2s", "1m", or a bare number of seconds ("0.5"); between 10 ms
// and 1 hour.
absl::StatusOr<absl::Duration> ParseInterval(absl::string_view text);

absl::StatusOr<WatchOptions> ParseWatchOptions(const ParsedArgs& args);

}  // namespace ghost::ctl

#endif  // GHOST_TOOLS_GHOSTCTL_WATCH_OPTIONS_H_
