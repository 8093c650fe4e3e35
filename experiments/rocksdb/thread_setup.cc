#include "experiments/rocksdb/thread_setup.h"

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "lib/abi/enclave.h"
#include "lib/hints/hint_registration.h"
#include "lib/hints/hint_writer.h"
#include "lib/uapi/linux/ghost.h"

namespace ghost::rocksdb_exp {

pid_t ThisTid() { return static_cast<pid_t>(syscall(SYS_gettid)); }

namespace {

// The process's hint region: made and handed to the agent of `enclave`
// by the first thread that asks; every thread of the process shares it.
absl::StatusOr<HintWriter*> ProcessHints(int enclave) {
  static absl::Mutex mu(absl::kConstInit);
  static HintWriter* hints ABSL_GUARDED_BY(mu) = nullptr;
  absl::MutexLock lock(&mu);
  if (hints != nullptr) return hints;
  absl::StatusOr<std::unique_ptr<HintWriter>> w = HintWriter::Create(256);
  if (!w.ok()) return w.status();
  if (absl::Status s = RegisterHints(**w, enclave); !s.ok()) return s;
  hints = w->release();  // lives as long as the process
  return hints;
}

}  // namespace

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
  if (p.enclave >= 0 && p.qos >= 0) {
    absl::StatusOr<HintWriter*> hints = ProcessHints(p.enclave);
    if (!hints.ok()) return hints.status();
    absl::StatusOr<uint32_t> item =
        (*hints)->ClaimForCaller(static_cast<uint32_t>(p.qos));
    if (!item.ok()) return item.status();
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
