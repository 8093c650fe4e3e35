#include "lib/abi/privilege.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/uapi/linux/ghost.h"

namespace ghost {
namespace {

constexpr char kRootWithNice[] = "root with CAP_SYS_NICE";

bool HasCap(const __user_cap_data_struct (&data)[2], int cap) {
  return data[cap / 32].effective & (1U << (cap % 32));
}

// The last component of `path`.
absl::string_view BaseName(absl::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == absl::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

Privileges CallerPrivileges() {
  Privileges p;
  p.euid = geteuid();
  __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3,
                                     .pid = 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &header, data) == 0) {
    p.cap_dac_override = HasCap(data, CAP_DAC_OVERRIDE);
    p.cap_sys_nice = HasCap(data, CAP_SYS_NICE);
  }
  return p;
}

absl::Status RequireEnclaveControl(absl::string_view what,
                                   const Privileges& have) {
  const bool opens = have.euid == 0 || have.cap_dac_override;
  if (opens && have.cap_sys_nice) return absl::OkStatus();
  const std::string lacks =
      opens ? "has no CAP_SYS_NICE (it was dropped, e.g. by a container)"
            : absl::StrCat("runs as uid ", have.euid,
                           have.cap_sys_nice ? "" : " without CAP_SYS_NICE",
                           ": run it as root");
  return absl::PermissionDeniedError(
      absl::StrCat(what, " needs ", kRootWithNice, "; this process ", lacks));
}

std::string GhostfsPermissionHint(absl::string_view path, int err) {
  if (err != EPERM && err != EACCES) return "";
  const absl::string_view name = BaseName(path);
  absl::string_view what;
  if (name == "ctl") {
    what = "creating or destroying an enclave";
  } else if (name == "cpulist" || name == "deliver_ticks" ||
             name == "runnable_timeout") {
    return absl::StrCat(" (changing ", name, " needs ", kRootWithNice, ")");
  } else if (name == "cpu_data") {
    what = "mapping cpu_data (what an agent does)";
  } else if (name == "sw_0" || name == "sw_regions" ||
             absl::StrContains(path, "/sw_regions/")) {
    what = "reading the status words";
  } else if (name == "tasks") {
    return " (moving a thread in needs write access to tasks, which is "
           "root's unless the enclave's owner delegated it with chown, and "
           "the right to change the thread's policy: the same user or "
           "CAP_SYS_NICE; kernel threads cannot be moved)";
  } else if (name == "version") {
    return " (version is read-only)";
  } else {
    return "";
  }
  return absl::StrCat(" (", what, " needs ", kRootWithNice, ")");
}

std::string GhostRunPermissionHint(unsigned int op, int err) {
  if (err != EPERM) return "";
  switch (op) {
    case GHOST_OP_COMMIT:
      return " (only an agent of the enclave may commit: this thread is "
             "not one, or its enclave was destroyed)";
    case GHOST_OP_AGENT_PING:
      return " (only an agent of that enclave, or a thread of the agent's "
             "process, may ping it)";
    default:
      return " (needs CAP_SYS_NICE: run as root)";
  }
}

}  // namespace ghost
