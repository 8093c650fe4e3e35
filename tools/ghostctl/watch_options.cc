#include "tools/ghostctl/watch_options.h"

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tools/ghostctl/ghostfs_session.h"

namespace ghost::ctl {

absl::StatusOr<absl::Duration> ParseInterval(absl::string_view text) {
  absl::Duration d;
  double seconds;
  if (absl::SimpleAtod(text, &seconds)) {
    d = absl::Seconds(seconds);
  } else if (!absl::ParseDuration(text, &d)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad --interval \"", text,
                     "\": expected a duration such as 500ms, "
                     "2s, 1m, or a number of seconds"));
  }
  if (d < absl::Milliseconds(10) || d > absl::Hours(1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--interval ", text, " is out of range (10ms to 1h)"));
  }
  return d;
}

absl::StatusOr<WatchOptions> ParseWatchOptions(const ParsedArgs& args) {
  WatchOptions o;
  if (!args.positional.empty()) {
    unsigned int id;
    if (!ParseEnclaveId(args.positional[0], &id)) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", args.positional[0], "\" is not an enclave id"));
    }
    o.enclave = id;
  }
  if (std::optional<std::string> interval = args.Get("interval")) {
    absl::StatusOr<absl::Duration> d = ParseInterval(*interval);
    if (!d.ok()) return d.status();
    o.interval = *d;
  }
  if (std::optional<std::string> count = args.Get("count")) {
    pid_t n;
    if (!ParsePid(*count, &n)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bad --count \"", *count, "\": expected a positive number"));
    }
    o.count = n;
  }
  o.json = args.Has("json");
  return o;
}

}  // namespace ghost::ctl
