#include "lib/abi/ghostfs_mount.h"

#include <sys/mount.h>
#include <sys/statfs.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "lib/uapi/linux/ghost.h"
#include "lib/util/errno_status.h"

namespace ghost {
absl::StatusOr<bool> IsGhostfsMounted(const std::string& mount_point) {
  struct statfs fs;
  if (statfs(mount_point.c_str(), &fs) != 0) {
    return ErrnoStatus(errno, absl::StrCat("statfs ", mount_point));
  }
  return fs.f_type == GHOSTFS_SUPER_MAGIC;
}

absl::Status EnsureGhostfsMounted(const std::string& mount_point) {
  absl::StatusOr<bool> mounted = IsGhostfsMounted(mount_point);
  if (mounted.ok() && *mounted) return absl::OkStatus();
  if (mount("none", mount_point.c_str(), "ghost", 0, nullptr) != 0) {
    const int err = errno;
    const char* hint =
        err == ENODEV  ? " (this kernel has no ghost support: boot a kernel "
                         "built with kernel-patches/, or use the lab)"
        : err == EPERM ? " (mounting needs root / CAP_SYS_ADMIN)"
                       : "";
    return ErrnoStatus(err, absl::StrCat("mount -t ghost none ", mount_point),
                       hint);
  }
  return absl::OkStatus();
}

absl::Status UnmountGhostfs(const std::string& mount_point) {
  if (umount(mount_point.c_str()) != 0) {
    return ErrnoStatus(errno, absl::StrCat("umount ", mount_point));
  }
  return absl::OkStatus();
}

}  // namespace ghost
