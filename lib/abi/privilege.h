// What ghost's permission checks ask of a process, and messages that name
// it. The kernel's rules (docs/kernel-rules.md K17, docs/abi.md): the
// control files (ctl, cpu_data, sw_regions/) are root's, cpulist,
// deliver_ticks and runnable_timeout are writable by root only, and
// every control write and mapping also needs CAP_SYS_NICE; so does every
// ghost_run() operation but GET_GTID. Moving a thread in ("tasks") needs
// what sched_setscheduler() needs.
//
//   if (absl::Status s = RequireEnclaveControl("creating an enclave",
//                                              CallerPrivileges());
//       !s.ok()) return s;   // names the uid and the missing capability
//
//   ErrnoStatus(err, "open " + path, GhostfsPermissionHint(path, err));
#ifndef GHOST_LIB_ABI_PRIVILEGE_H_
#define GHOST_LIB_ABI_PRIVILEGE_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ghost {

struct Privileges {
  uid_t euid = 0;
  bool cap_dac_override = false;  // may open files of root's (mode 0600)
  bool cap_sys_nice = false;
};

// The calling thread's effective uid and capabilities.
Privileges CallerPrivileges();

// PermissionDenied naming what `what` ("creating an enclave") needs and
// what the process lacks, if `have` cannot control enclaves (root, or
// CAP_DAC_OVERRIDE, and CAP_SYS_NICE); OK if it can.
absl::Status RequireEnclaveControl(absl::string_view what,
                                   const Privileges& have);

// For an EPERM or EACCES on the ghostfs file `path`: " (... needs ...)",
// naming what the kernel asks for that file. "" for other errors and
// files that need nothing special.
std::string GhostfsPermissionHint(absl::string_view path, int err);

// For an EPERM from ghost_run() operation `op` (GHOST_OP_*): what it
// needs. "" for other errors.
std::string GhostRunPermissionHint(unsigned int op, int err);

}  // namespace ghost

#endif  // GHOST_LIB_ABI_PRIVILEGE_H_
