// ErrnoStatus: an errno as an absl::Status whose code maps the errno and
// whose message says what failed ("open /sys/fs/ghost/ctl: Permission
// denied"), optionally followed by a hint on what to do.
#ifndef GHOST_LIB_UTIL_ERRNO_STATUS_H_
#define GHOST_LIB_UTIL_ERRNO_STATUS_H_

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace ghost {

inline absl::Status ErrnoStatus(int err, absl::string_view what,
                                absl::string_view hint = "") {
  return absl::Status(absl::ErrnoToStatusCode(err),
                      absl::StrCat(what, ": ", std::strerror(err), hint));
}

}  // namespace ghost

#endif  // GHOST_LIB_UTIL_ERRNO_STATUS_H_
