#include "lib/abi/cpu_data_region.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/abi/fd.h"
#include "lib/abi/privilege.h"
#include "lib/util/errno_status.h"

namespace ghost {

absl::StatusOr<CpuDataRegion> CpuDataRegion::Map(
    const std::string& enclave_dir) {
  const std::string path = absl::StrCat(enclave_dir, "/cpu_data");
  Fd fd(open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd.valid()) {
    const int err = errno;
    return ErrnoStatus(err, absl::StrCat("open ", path),
                       GhostfsPermissionHint(path, err));
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) {
    return ErrnoStatus(errno, absl::StrCat("stat ", path));
  }
  void* p = mmap(nullptr, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
                 fd.get(), 0);
  if (p == MAP_FAILED) {
    const int err = errno;
    return ErrnoStatus(err, absl::StrCat("mmap ", path),
                       GhostfsPermissionHint(path, err));
  }
  const int nr_cpus = sysconf(_SC_NPROCESSORS_CONF);
  return CpuDataRegion(static_cast<ghost_txn*>(p), st.st_size, nr_cpus);
}

CpuDataRegion::CpuDataRegion(CpuDataRegion&& other) noexcept
    : txns_(std::exchange(other.txns_, nullptr)),
      size_(other.size_),
      nr_cpus_(other.nr_cpus_) {}

CpuDataRegion::~CpuDataRegion() {
  if (txns_ != nullptr && size_ != 0) munmap(txns_, size_);
}

const char* TxnResultName(int32_t state) {
  switch (state) {
    case GHOST_TXN_IDLE:
      return "IDLE";
    case GHOST_TXN_READY:
      return "READY";
    case GHOST_TXN_CLAIMED:
      return "CLAIMED";
    case GHOST_TXN_COMPLETE:
      return "COMPLETE";
    case GHOST_TXN_TARGET_NOT_FOUND:
      return "TARGET_NOT_FOUND";
    case GHOST_TXN_TARGET_STALE:
      return "TARGET_STALE";
    case GHOST_TXN_TARGET_NOT_RUNNABLE:
      return "TARGET_NOT_RUNNABLE";
    case GHOST_TXN_TARGET_ONCPU:
      return "TARGET_ONCPU";
    case GHOST_TXN_AGENT_STALE:
      return "AGENT_STALE";
    case GHOST_TXN_CPU_NOT_ALLOWED:
      return "CPU_NOT_ALLOWED";
    case GHOST_TXN_CPU_NOT_IN_ENCLAVE:
      return "CPU_NOT_IN_ENCLAVE";
    case GHOST_TXN_INVALID:
      return "INVALID";
    case GHOST_TXN_POISONED:
      return "POISONED";
    case GHOST_TXN_NO_AGENT:
      return "NO_AGENT";
    default:
      return "UNKNOWN";
  }
}

}  // namespace ghost
