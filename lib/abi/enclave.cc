#include "lib/abi/enclave.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/abi/privilege.h"
#include "lib/uapi/linux/ghost.h"
#include "lib/util/errno_status.h"

namespace ghost {
absl::Status WriteGhostfsFile(const std::string& path, absl::string_view text) {
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return ErrnoStatus(err, absl::StrCat("open ", path),
                       GhostfsPermissionHint(path, err));
  }
  const ssize_t n = write(fd, text.data(), text.size());
  const int err = errno;
  close(fd);
  if (n < 0) {
    return ErrnoStatus(err, absl::StrCat(path, ": \"", text, "\""),
                       GhostfsPermissionHint(path, err));
  }
  if (static_cast<size_t>(n) != text.size()) {
    return absl::InternalError(absl::StrCat(path, ": short write"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadGhostfsFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return ErrnoStatus(err, absl::StrCat("open ", path),
                       GhostfsPermissionHint(path, err));
  }
  std::string contents;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) contents.append(buf, n);
  const int err = errno;
  close(fd);
  if (n < 0) return ErrnoStatus(err, absl::StrCat("read ", path));
  return contents;
}

std::string LastDestroyed(const std::string& mount_point) {
  absl::StatusOr<std::string> text =
      ReadGhostfsFile(mount_point + "/destroyed");
  if (!text.ok()) return "";
  std::vector<std::string> lines =
      absl::StrSplit(*text, '\n', absl::SkipEmpty());
  return lines.empty() ? "" : lines.back();
}

std::optional<std::string> FindDestroyedReason(absl::string_view destroyed,
                                               unsigned int id) {
  std::optional<std::string> reason;
  for (absl::string_view line :
       absl::StrSplit(destroyed, '\n', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> id_and_reason =
        absl::StrSplit(line, absl::MaxSplits(' ', 1));
    unsigned int line_id;
    if (absl::SimpleAtoi(id_and_reason.first, &line_id) && line_id == id) {
      reason = std::string(id_and_reason.second);  // a later line wins
    }
  }
  return reason;
}

std::string DestroyedReason(const std::string& mount_point, unsigned int id) {
  const std::string path = mount_point + "/destroyed";
  absl::StatusOr<std::string> text = ReadGhostfsFile(path);
  if (!text.ok()) {
    return absl::StrCat("no reason known (", text.status().message(), ")");
  }
  std::optional<std::string> reason = FindDestroyedReason(*text, id);
  if (!reason.has_value()) {
    return absl::StrCat("no reason known (", path, " has no line about it)");
  }
  return *reason;
}

absl::StatusOr<std::vector<unsigned int>> ListEnclaveIds(
    const std::string& mount_point) {
  DIR* dir = opendir(mount_point.c_str());
  if (dir == nullptr) return ErrnoStatus(errno, "opendir " + mount_point);
  std::vector<unsigned int> ids;
  constexpr absl::string_view kPrefix = "enclave_";
  while (struct dirent* e = readdir(dir)) {
    absl::string_view name = e->d_name;
    unsigned int id;
    if (absl::ConsumePrefix(&name, kPrefix) && absl::SimpleAtoi(name, &id)) {
      ids.push_back(id);
    }
  }
  closedir(dir);
  std::sort(ids.begin(), ids.end());
  return ids;
}

absl::StatusOr<Enclave> Enclave::Create(unsigned int id,
                                        const std::string& mount_point) {
  absl::Status s =
      WriteGhostfsFile(mount_point + "/ctl", absl::StrCat("create ", id));
  if (!s.ok()) return s;
  return Enclave(id, mount_point);
}

absl::StatusOr<Enclave> Enclave::Create(unsigned int id) {
  return Create(id, GHOSTFS_MOUNT_POINT);
}

Enclave::Enclave(unsigned int id, std::string mount_point)
    : id_(id),
      mount_point_(std::move(mount_point)),
      dir_(absl::StrCat(mount_point_, "/enclave_", id)) {}

absl::Status Enclave::Destroy() {
  return WriteGhostfsFile(dir_ + "/ctl", "destroy");
}

absl::StatusOr<std::string> Enclave::Cpus() const {
  absl::StatusOr<std::string> text = ReadGhostfsFile(dir_ + "/cpulist");
  if (text.ok() && !text->empty() && text->back() == '\n') text->pop_back();
  return text;
}

absl::Status Enclave::SetCpus(absl::string_view cpulist) {
  return WriteGhostfsFile(dir_ + "/cpulist", cpulist);
}

absl::Status Enclave::AddTask(pid_t tid) {
  return WriteGhostfsFile(dir_ + "/tasks", absl::StrCat(tid));
}

absl::StatusOr<std::vector<pid_t>> Enclave::Tasks() const {
  absl::StatusOr<std::string> text = ReadGhostfsFile(dir_ + "/tasks");
  if (!text.ok()) return text.status();
  std::vector<pid_t> tids;
  for (absl::string_view line :
       absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    pid_t tid;
    if (!absl::SimpleAtoi(line, &tid)) {
      return absl::InternalError(
          absl::StrCat(dir_, "/tasks: unexpected line \"", line, "\""));
    }
    tids.push_back(tid);
  }
  return tids;
}

absl::StatusOr<std::string> Enclave::StatusText() const {
  return ReadGhostfsFile(dir_ + "/status");
}

}  // namespace ghost
