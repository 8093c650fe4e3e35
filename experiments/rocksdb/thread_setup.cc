#include "experiments/rocksdb/thread_setup.h"

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "lib/abi/enclave.h"
#include "lib/uapi/linux/ghost.h"

namespace ghost::rocksdb_exp {

pid_t ThisTid() { return static_cast<pid_t>(syscall(SYS_gettid)); }

absl::Status PlaceThisThread(const ThreadPlacement& p) {
  if (!p.cpus.empty()) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int cpu : p.cpus) CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cannot pin thread ", ThisTid(),
          " to its CPUs: ", std::strerror(errno), " (does the VM have them?)"));
    }
  }
  if (p.set_nice && setpriority(PRIO_PROCESS, ThisTid(), p.nice) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot set nice ", p.nice, ": ", std::strerror(errno)));
  }
  if (p.enclave >= 0) {
    Enclave e(static_cast<unsigned int>(p.enclave), GHOSTFS_MOUNT_POINT);
    absl::Status s = e.AddTask(ThisTid());
    if (!s.ok()) {
      return absl::Status(s.code(), absl::StrCat("cannot move thread ",
                                                 ThisTid(), " into enclave ",
                                                 p.enclave, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace ghost::rocksdb_exp
