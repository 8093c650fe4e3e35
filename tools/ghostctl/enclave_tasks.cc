#include "tools/ghostctl/enclave_tasks.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "absl/strings/str_cat.h"

namespace ghost::ctl {

int AddTid(const Enclave& enclave, pid_t tid) {
  const std::string path = enclave.dir() + "/tasks";
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  const std::string text = absl::StrCat(tid);
  const ssize_t n = write(fd, text.data(), text.size());
  const int err = n < 0 ? errno : 0;
  close(fd);
  return err;
}

std::optional<unsigned int> EnclaveOfTid(const std::string& mount_point,
                                         pid_t tid) {
  absl::StatusOr<std::vector<unsigned int>> ids = ListEnclaveIds(mount_point);
  if (!ids.ok()) return std::nullopt;
  for (unsigned int id : *ids) {
    absl::StatusOr<std::vector<pid_t>> tids = Enclave(id, mount_point).Tasks();
    if (tids.ok() &&
        std::find(tids->begin(), tids->end(), tid) != tids->end()) {
      return id;
    }
  }
  return std::nullopt;
}

}  // namespace ghost::ctl
