#include "lib/runtime/control_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lib/abi/fd.h"
#include "lib/util/errno_status.h"

namespace ghost {

absl::StatusOr<AgentReport> AskAgent(const std::string& path,
                                     ControlRequest request,
                                     absl::Duration limit, int fd) {
  sockaddr_un addr = {.sun_family = AF_UNIX};
  if (path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("control socket path too long: ", path));
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  Fd sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock.valid()) return ErrnoStatus(errno, "control socket");
  if (connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) !=
      0) {
    const int err = errno;
    switch (err) {
      case ENOENT:
        return absl::NotFoundError(
            absl::StrCat("no agent serves ", path, " (no such socket)"));
      case ECONNREFUSED:
        return absl::UnavailableError(
            absl::StrCat("nobody answers at ", path,
                         ": the agent that made it is gone (it was killed)"));
      case EACCES:
      case EPERM:
        return absl::PermissionDeniedError(
            absl::StrCat("connect to ", path, ": ", std::strerror(err),
                         " (the control socket is root's: run as root)"));
      default:
        return ErrnoStatus(err, absl::StrCat("connect to ", path));
    }
  }
  const std::string req = EncodeRequest(request);
  iovec iov = {.iov_base = const_cast<char*>(req.data()), .iov_len = req.size()};
  msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
  }
  if (sendmsg(sock.get(), &msg, MSG_NOSIGNAL) !=
      static_cast<ssize_t>(req.size())) {
    return ErrnoStatus(errno, absl::StrCat("send to ", path));
  }
  const absl::Time end = absl::Now() + limit;
  std::string reply;
  char buf[1024];
  for (;;) {
    const int ms =
        static_cast<int>(absl::ToInt64Milliseconds(end - absl::Now()));
    pollfd p = {.fd = sock.get(), .events = POLLIN};
    if (ms <= 0 || poll(&p, 1, ms) == 0) {
      return absl::DeadlineExceededError(
          absl::StrCat("the agent at ", path, " did not answer within ",
                       absl::FormatDuration(limit)));
    }
    const ssize_t n = read(sock.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, absl::StrCat("read from ", path));
    if (n == 0) break;
    reply.append(buf, n);
  }
  return DecodeReply(reply);
}

}  // namespace ghost
