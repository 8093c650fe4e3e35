#include "tools/ghostctl/proc_threads.h"

#include <dirent.h>

#include <algorithm>
#include <cerrno>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/abi/enclave.h"
#include "lib/util/errno_status.h"

namespace ghost::ctl {
namespace {

absl::Status NoProcess(pid_t pid) {
  return absl::NotFoundError(absl::StrCat("no process or thread ", pid,
                                          " (it exited, or the id is wrong)"));
}

}  // namespace

absl::StatusOr<std::vector<pid_t>> ListThreads(const std::string& proc_root,
                                               pid_t pid) {
  const std::string path = absl::StrCat(proc_root, "/", pid, "/task");
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) {
    if (errno == ENOENT) return NoProcess(pid);
    return ErrnoStatus(errno, absl::StrCat("opendir ", path));
  }
  std::vector<pid_t> tids;
  while (struct dirent* e = readdir(dir)) {
    pid_t tid;
    if (absl::SimpleAtoi(e->d_name, &tid) && tid > 0) tids.push_back(tid);
  }
  closedir(dir);
  if (tids.empty()) return NoProcess(pid);  // a zombie has no threads left
  std::sort(tids.begin(), tids.end());
  return tids;
}

absl::StatusOr<char> ParseStatState(absl::string_view stat) {
  const size_t paren = stat.rfind(')');
  if (paren == absl::string_view::npos || paren + 2 >= stat.size() ||
      stat[paren + 1] != ' ') {
    return absl::InternalError(
        absl::StrCat("unexpected /proc stat line: \"", stat, "\""));
  }
  return stat[paren + 2];
}

absl::StatusOr<char> ReadProcessState(const std::string& proc_root, pid_t tid) {
  absl::StatusOr<std::string> stat =
      ReadGhostfsFile(absl::StrCat(proc_root, "/", tid, "/stat"));
  if (absl::IsNotFound(stat.status())) return NoProcess(tid);
  if (!stat.ok()) return stat.status();
  return ParseStatState(*stat);
}

absl::StatusOr<pid_t> ReadTgid(const std::string& proc_root, pid_t tid) {
  absl::StatusOr<std::string> status =
      ReadGhostfsFile(absl::StrCat(proc_root, "/", tid, "/status"));
  if (absl::IsNotFound(status.status())) return NoProcess(tid);
  if (!status.ok()) return status.status();
  for (absl::string_view line : absl::StrSplit(*status, '\n')) {
    pid_t tgid;
    if (absl::ConsumePrefix(&line, "Tgid:") &&
        absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &tgid)) {
      return tgid;
    }
  }
  return absl::InternalError(
      absl::StrCat(proc_root, "/", tid, "/status has no Tgid line"));
}

}  // namespace ghost::ctl
