#include "lib/runtime/control_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/util/errno_status.h"

namespace ghost {
namespace {

// How long a client may take to send its request.
constexpr int kRequestTimeoutMs = 2000;
constexpr size_t kMaxRequest = 256;

absl::Status MakeFolder(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return absl::OkStatus();
  const std::string dir = path.substr(0, slash);
  if (mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST) {
    return absl::OkStatus();
  }
  return ErrnoStatus(errno, absl::StrCat("make ", dir));
}

// Reads up to `size` bytes, and keeps the first file descriptor that came
// with them in `fd` (closing any others).
ssize_t ReadWithFd(int conn, char* buf, size_t size, Fd& fd) {
  iovec iov = {.iov_base = buf, .iov_len = size};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
  msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  const ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
  if (n < 0) return n;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr;
       c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int received;
      std::memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      if (!fd.valid()) {
        fd = Fd(received);
      } else {
        close(received);
      }
    }
  }
  return n;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ControlServer>> ControlServer::Start(
    const std::string& path, Handlers handlers) {
  sockaddr_un addr = {.sun_family = AF_UNIX};
  if (path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("control socket path too long: ", path));
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (absl::Status s = MakeFolder(path); !s.ok()) return s;
  Fd listener(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener.valid()) return ErrnoStatus(errno, "control socket");
  // Whoever made a socket file here is gone, or is handing over to us.
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("remove the old ", path));
  }
  const mode_t old_mask = umask(0177);  // the socket is root's: 0600
  const int bound =
      bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  const int bind_errno = errno;
  umask(old_mask);
  if (bound != 0) return ErrnoStatus(bind_errno, absl::StrCat("bind ", path));
  if (listen(listener.get(), 8) != 0) {
    return ErrnoStatus(errno, absl::StrCat("listen on ", path));
  }
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return ErrnoStatus(errno, absl::StrCat("stat ", path));
  }
  int wake[2];
  if (pipe2(wake, O_CLOEXEC) != 0) return ErrnoStatus(errno, "pipe");
  std::unique_ptr<ControlServer> server(
      new ControlServer(path, std::move(listener), Fd(wake[0]), Fd(wake[1]),
                        st.st_ino, std::move(handlers)));
  server->thread_ = std::thread([s = server.get()] { s->Serve(); });
  return server;
}

ControlServer::ControlServer(std::string path, Fd listener, Fd wake_read,
                             Fd wake_write, ino_t inode, Handlers handlers)
    : path_(std::move(path)),
      listener_(std::move(listener)),
      wake_read_(std::move(wake_read)),
      wake_write_(std::move(wake_write)),
      inode_(inode),
      handlers_(std::move(handlers)) {}

ControlServer::~ControlServer() {
  const char byte = 0;
  (void)!write(wake_write_.get(), &byte, 1);
  if (thread_.joinable()) thread_.join();
  // A successor may have put its own socket here already: leave that one.
  struct stat st;
  if (stat(path_.c_str(), &st) == 0 && st.st_ino == inode_) {
    unlink(path_.c_str());
  }
}

void ControlServer::Serve() {
  for (;;) {
    pollfd fds[2] = {{.fd = listener_.get(), .events = POLLIN},
                     {.fd = wake_read_.get(), .events = POLLIN}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    Fd conn(accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (conn.valid()) Answer(conn.get());
  }
}

std::string ControlServer::Reply(ControlRequest req, Fd fd, int conn) {
  if (req != ControlRequest::kHints) return EncodeReport(handlers_.report());
  if (!handlers_.hints) return EncodeError("this agent takes no hint regions");
  if (!fd.valid()) {
    return EncodeError("a hints request carries the region's fd (SCM_RIGHTS)");
  }
  ucred cred = {};
  socklen_t len = sizeof(cred);
  if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    return EncodeError("cannot tell who sent the hint region");
  }
  if (absl::Status s = handlers_.hints(std::move(fd), cred.pid); !s.ok()) {
    return EncodeError(s.message());
  }
  return EncodeReport(handlers_.report());
}

void ControlServer::Answer(int conn) {
  std::string request;
  Fd fd;
  char buf[64];
  while (request.find('\n') == std::string::npos &&
         request.size() < kMaxRequest) {
    pollfd p = {.fd = conn, .events = POLLIN};
    if (poll(&p, 1, kRequestTimeoutMs) <= 0) return;
    const ssize_t n = ReadWithFd(conn, buf, sizeof(buf), fd);
    if (n <= 0) break;
    request.append(buf, n);
  }
  absl::StatusOr<ControlRequest> req =
      DecodeRequest(request.substr(0, request.find('\n')));
  const std::string reply = req.ok() ? Reply(*req, std::move(fd), conn)
                                     : EncodeError(req.status().message());
  size_t done = 0;
  while (done < reply.size()) {
    const ssize_t n =
        send(conn, reply.data() + done, reply.size() - done, MSG_NOSIGNAL);
    if (n <= 0) break;
    done += n;
  }
  if (req.ok() && *req == ControlRequest::kStop && handlers_.stop) {
    handlers_.stop();
  }
}

}  // namespace ghost
