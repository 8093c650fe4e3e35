// What every ghostctl command needs before it touches an enclave: ghostfs
// mounted, the kernel's ABI version checked, and enclave ids that name
// existing enclaves. Errors say what to do.
#ifndef GHOST_TOOLS_GHOSTCTL_GHOSTFS_SESSION_H_
#define GHOST_TOOLS_GHOSTCTL_GHOSTFS_SESSION_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/abi/enclave.h"

namespace ghost::ctl {

// Mounts ghostfs at `mount_point` if it is not mounted there; the error
// says how to mount it by hand.
absl::Status MountGhostfs(const std::string& mount_point);

// MountGhostfs(), then checks the kernel's ABI version.
absl::Status PrepareGhostfs(const std::string& mount_point);

// Parses a decimal enclave id ("7"; no sign, no spaces).
bool ParseEnclaveId(absl::string_view text, unsigned int* id);

// Parses a positive decimal pid/tid.
bool ParsePid(absl::string_view text, pid_t* pid);

// Why enclave `id` was last destroyed, from <mount_point>/destroyed
// ("<id> <reason>" lines, oldest first), if the kernel has that file and
// it names the enclave.
std::optional<std::string> DestroyReason(const std::string& mount_point,
                                         unsigned int id);

// Enclave `id`, if its directory exists; NotFound naming
// `ghostctl enclave list` (and why it was destroyed, if known) otherwise.
absl::StatusOr<Enclave> OpenEnclave(const std::string& mount_point,
                                    unsigned int id);

// Checks `cpulist` for enclave `id`: its syntax, that the CPUs are online
// and that no other enclave owns them. Returns the canonical list.
absl::StatusOr<std::string> CheckCpusFor(const std::string& mount_point,
                                         unsigned int id,
                                         absl::string_view cpulist);

}  // namespace ghost::ctl

#endif  // GHOST_TOOLS_GHOSTCTL_GHOSTFS_SESSION_H_
