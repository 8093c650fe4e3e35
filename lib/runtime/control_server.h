// ControlServer: the agent's side of the control socket. A thread of its
// own (a CFS thread, never an agent thread: it allocates) accepts one
// connection at a time, reads one request (control_protocol.h) and any
// file descriptor sent with it (SCM_RIGHTS, for "hints"), and
// answers with the report its handler builds; "stop" is answered and then
// handed to the stop handler.
//
//   absl::StatusOr<std::unique_ptr<ControlServer>> server =
//       ControlServer::Start(ControlSocketPath(kControlDir, 1),
//                            {.report = [&] { return MakeReport(); },
//                             .stop = [&] { stop.Request(kControl); }});
//
// The socket is made mode 0600 (root's, as the agent is). A socket file
// left at the path (an agent that is gone, or one handing over to us) is
// replaced; on destruction the file is removed only if it is still ours.
#ifndef GHOST_LIB_RUNTIME_CONTROL_SERVER_H_
#define GHOST_LIB_RUNTIME_CONTROL_SERVER_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/abi/fd.h"
#include "lib/runtime/control_protocol.h"

namespace ghost {

class ControlServer {
 public:
  struct Handlers {
    std::function<AgentReport()> report;
    std::function<void()> stop;  // after the reply to "stop" went out
    // "hints": the region's fd and the sender's pid (SO_PEERCRED); an
    // error is the reply. Unset: refused.
    std::function<absl::Status(Fd fd, pid_t pid)> hints;
  };

  // Serves `path`; makes its folder (0755) if it is missing.
  static absl::StatusOr<std::unique_ptr<ControlServer>> Start(
      const std::string& path, Handlers handlers);

  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  const std::string& path() const { return path_; }

 private:
  ControlServer(std::string path, Fd listener, Fd wake_read, Fd wake_write,
                ino_t inode, Handlers handlers);
  void Serve();
  void Answer(int conn);
  std::string Reply(ControlRequest req, Fd fd, int conn);

  const std::string path_;
  Fd listener_;
  Fd wake_read_, wake_write_;  // a byte here ends Serve()
  const ino_t inode_;          // of our socket file
  const Handlers handlers_;
  std::thread thread_;
};

}  // namespace ghost

#endif  // GHOST_LIB_RUNTIME_CONTROL_SERVER_H_
