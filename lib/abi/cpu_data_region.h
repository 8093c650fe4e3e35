// CpuDataRegion: an enclave's transaction slots (docs/abi.md
// "Transactions"), one struct ghost_txn per CPU, mapped read-write.
//
//   ghost_txn* txn = region->txn(cpu);
//   CpuDataRegion::Fill(txn, gtid, task_barrier, agent_barrier, flags);
//   Commit(&cpu, 1, 0);
//   int result = CpuDataRegion::Result(txn);   // GHOST_TXN_COMPLETE...
#ifndef GHOST_LIB_ABI_CPU_DATA_REGION_H_
#define GHOST_LIB_ABI_CPU_DATA_REGION_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "lib/abi/mapped_region.h"
#include "lib/uapi/linux/ghost.h"

namespace ghost {

class CpuDataRegion {
 public:
  // Maps <enclave_dir>/cpu_data.
  static absl::StatusOr<CpuDataRegion> Map(const std::string& enclave_dir);

  // `nr_cpus` slots at `txns`, memory the caller owns and keeps alive (a
  // test's fake kernel). Nothing is unmapped.
  static CpuDataRegion FromMemory(ghost_txn* txns, int nr_cpus) {
    return CpuDataRegion(
        MappedRegion::Borrow(txns, nr_cpus * sizeof(ghost_txn)), nr_cpus);
  }

  ghost_txn* txn(int cpu) const { return region_.as<ghost_txn>() + cpu; }
  int nr_cpus() const { return nr_cpus_; }

  // Writes a decision into `txn` and marks it READY (release), for the
  // next commit.
  static void Fill(ghost_txn* txn, uint64_t gtid, uint32_t task_barrier,
                   uint32_t agent_barrier, uint32_t run_flags) {
    txn->gtid = gtid;
    txn->task_barrier = task_barrier;
    txn->agent_barrier = agent_barrier;
    txn->run_flags = run_flags;
    std::atomic_ref<int32_t>(txn->state)
        .store(GHOST_TXN_READY, std::memory_order_release);
  }

  // The slot's state: a result once >= GHOST_TXN_COMPLETE.
  static int32_t Result(const ghost_txn* txn) {
    return std::atomic_ref<int32_t>(const_cast<ghost_txn*>(txn)->state)
        .load(std::memory_order_acquire);
  }

 private:
  CpuDataRegion(MappedRegion region, int nr_cpus)
      : region_(std::move(region)), nr_cpus_(nr_cpus) {}

  MappedRegion region_;
  int nr_cpus_;
};

// "COMPLETE", "TARGET_STALE", ... for logs and test failures.
const char* TxnResultName(int32_t state);

}  // namespace ghost

#endif  // GHOST_LIB_ABI_CPU_DATA_REGION_H_
