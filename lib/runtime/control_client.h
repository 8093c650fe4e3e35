// AskAgent: the client side of the control socket (control_protocol.h),
// for `ghostctl agent`. It connects, sends one request and reads the
// reply, within a time limit. The status code says what went wrong, so
// the caller can say what to do:
//
//   NotFound           no socket at the path: no agent serves it
//   Unavailable        a socket file whose agent is gone (connection refused)
//   PermissionDenied   the socket is root's
//   DeadlineExceeded   the agent did not answer in time
//   FailedPrecondition the agent answered with an error
#ifndef GHOST_LIB_RUNTIME_CONTROL_CLIENT_H_
#define GHOST_LIB_RUNTIME_CONTROL_CLIENT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/runtime/control_protocol.h"

namespace ghost {

// `fd` (>= 0) is sent with the request (SCM_RIGHTS): the region of
// ControlRequest::kHints.
absl::StatusOr<AgentReport> AskAgent(const std::string& path,
                                     ControlRequest request,
                                     absl::Duration limit = absl::Seconds(3),
                                     int fd = -1);

}  // namespace ghost

#endif  // GHOST_LIB_RUNTIME_CONTROL_CLIENT_H_
