// Writing a tid to an enclave's tasks file, returning the errno, so that
// ghostctl can tell EALREADY from EBUSY from ESRCH (docs/abi.md "Threads in
// ghost"), and finding which enclave holds a thread.
#ifndef GHOST_TOOLS_GHOSTCTL_ENCLAVE_TASKS_H_
#define GHOST_TOOLS_GHOSTCTL_ENCLAVE_TASKS_H_

#include <sys/types.h>

#include <optional>
#include <string>

#include "lib/abi/enclave.h"

namespace ghost::ctl {

// 0 if `tid` entered, else the errno of the open or the write.
int AddTid(const Enclave& enclave, pid_t tid);

// The id of the enclave under `mount_point` whose tasks list `tid`.
std::optional<unsigned int> EnclaveOfTid(const std::string& mount_point,
                                         pid_t tid);

}  // namespace ghost::ctl

#endif  // GHOST_TOOLS_GHOSTCTL_ENCLAVE_TASKS_H_
