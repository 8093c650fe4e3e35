#include "lib/abi/cpu_data_region.h"

#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace ghost {

absl::StatusOr<CpuDataRegion> CpuDataRegion::Map(
    const std::string& enclave_dir) {
  absl::StatusOr<MappedRegion> region = MappedRegion::MapFile(
      absl::StrCat(enclave_dir, "/cpu_data"), MappedRegion::kReadWrite);
  if (!region.ok()) return region.status();
  const int nr_cpus = sysconf(_SC_NPROCESSORS_CONF);
  return CpuDataRegion(std::move(*region), nr_cpus);
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
