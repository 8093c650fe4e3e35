// Mounting and unmounting ghostfs (`mount -t ghost none /sys/fs/ghost`).
//
// Agents and ghostctl call EnsureGhostfsMounted() so that users need not
// remember the mount command; errors carry the errno and what to do.
#ifndef GHOST_LIB_ABI_GHOSTFS_MOUNT_H_
#define GHOST_LIB_ABI_GHOSTFS_MOUNT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ghost {

// True if a ghostfs is mounted exactly at `mount_point` (statfs f_type).
absl::StatusOr<bool> IsGhostfsMounted(const std::string& mount_point);

// Mounts ghostfs at `mount_point` unless it already is.
absl::Status EnsureGhostfsMounted(const std::string& mount_point);

// Unmounts the ghostfs at `mount_point`.
absl::Status UnmountGhostfs(const std::string& mount_point);

}  // namespace ghost

#endif  // GHOST_LIB_ABI_GHOSTFS_MOUNT_H_
