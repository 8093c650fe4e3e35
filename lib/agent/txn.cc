#include "lib/agent/txn.h"

#include "lib/abi/cpu_data_region.h"

namespace ghost {

namespace {

void Fill(KernelInterface& kernel, const RunRequest& req) {
  CpuDataRegion::Fill(kernel.Txn(req.cpu), req.gtid, req.task_barrier,
                      req.agent_barrier, req.run_flags);
}

}  // namespace

int32_t CommitOne(KernelInterface& kernel, const RunRequest& req,
                  uint32_t flags, int* err) {
  Fill(kernel, req);
  const int ret = kernel.Commit(&req.cpu, 1, flags, req.agent_barrier);
  if (err != nullptr) *err = ret < 0 ? -ret : 0;
  const int32_t result = CpuDataRegion::Result(kernel.Txn(req.cpu));
  return result >= GHOST_TXN_COMPLETE ? result : GHOST_TXN_IDLE;
}

bool TxnBatch::Add(const RunRequest& req) {
  if (size_ == static_cast<int>(cpus_.size())) return false;
  for (int i = 0; i < size_; ++i) {
    if (cpus_[i] == req.cpu) return false;
  }
  Fill(kernel_, req);
  cpus_[size_] = req.cpu;
  requests_[size_] = req;
  ++size_;
  return true;
}

int TxnBatch::Commit(uint32_t flags) {
  if (size_ == 0) return 0;
  return kernel_.Commit(cpus_.data(), size_, flags, 0);
}

int32_t TxnBatch::result(int i) const {
  return CpuDataRegion::Result(kernel_.Txn(cpus_[i]));
}

}  // namespace ghost
