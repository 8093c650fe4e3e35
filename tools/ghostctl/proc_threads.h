// Threads and process state from /proc (a root path, so tests can use a
// fake tree).
//
//   ListThreads("/proc", pid)       // the tids in /proc/<pid>/task
//   ReadProcessState("/proc", tid)  // 'S' (sleeping), 'R', ...
#ifndef GHOST_TOOLS_GHOSTCTL_PROC_THREADS_H_
#define GHOST_TOOLS_GHOSTCTL_PROC_THREADS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ghost::ctl {

inline constexpr char kProcRoot[] = "/proc";

// The tids of the process that `pid` belongs to, ascending. NotFound
// ("no process <pid>") if there is none.
absl::StatusOr<std::vector<pid_t>> ListThreads(const std::string& proc_root,
                                               pid_t pid);

// The state letter of a /proc/<pid>/stat text (the field after the command
// name, which may itself hold spaces and parentheses).
absl::StatusOr<char> ParseStatState(absl::string_view stat);

absl::StatusOr<char> ReadProcessState(const std::string& proc_root, pid_t tid);

// The thread-group id of `tid` (Tgid: in /proc/<tid>/status).
absl::StatusOr<pid_t> ReadTgid(const std::string& proc_root, pid_t tid);

}  // namespace ghost::ctl

#endif  // GHOST_TOOLS_GHOSTCTL_PROC_THREADS_H_
