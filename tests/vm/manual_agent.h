// ManualAgent: an agent driven by hand from a test, for cases that need one
// exact transaction (a failure code, a latch that must not run yet). It
// maps the enclave's cpu_data and status words and owns the enclave's
// default queue; AsAgent() runs a function on a thread that is the agent of
// a CPU meanwhile.
//
//   ManualAgent m(enclave);
//   m.AsAgent(1, [&] { EXPECT_EQ(m.Try(2, gtid, m.Seq(gtid), 0), ...); });
#ifndef GHOST_TESTS_VM_MANUAL_AGENT_H_
#define GHOST_TESTS_VM_MANUAL_AGENT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "lib/abi/cpu_data_region.h"
#include "lib/abi/enclave.h"
#include "lib/abi/fd.h"
#include "lib/abi/ghost_run.h"
#include "lib/abi/message_queue.h"
#include "lib/abi/status_word_region.h"
#include "lib/uapi/linux/ghost.h"
#include "tests/vm/vm_helpers.h"

namespace ghost::testing {

class ManualAgent {
 public:
  explicit ManualAgent(const Enclave& e) {
    dir_ = std::move(*OpenEnclaveDir(e.dir()));
    cpu_data_ = std::make_unique<CpuDataRegion>(
        std::move(*CpuDataRegion::Map(e.dir())));
    words_ = std::make_unique<StatusWordRegion>(
        std::move(*StatusWordRegion::Map(e.dir())));
    queue_ = std::make_unique<MessageQueue>(std::move(
        *MessageQueue::Create(dir_.get(), 1024, MessageQueue::kDefault)));
  }

  // Runs `fn` on a thread that is the agent of `cpu` meanwhile.
  template <typename Fn>
  void AsAgent(int cpu, Fn fn) {
    std::thread([&] {
      absl::StatusOr<uint32_t> sw = AttachAgent(dir_.get(), cpu);
      ASSERT_TRUE(sw.ok()) << sw.status();
      sw_index_ = *sw;
      fn();
      MoveToCfs(0);
    }).join();
  }

  uint32_t agent_barrier() { return words_->Read(sw_index_).barrier; }

  // Fills and commits one transaction; returns its result.
  int32_t Try(int cpu, uint64_t gtid, uint32_t task_barrier,
              uint32_t agent_barrier, uint32_t flags = 0) {
    ghost_txn* txn = cpu_data_->txn(cpu);
    CpuDataRegion::Fill(txn, gtid, task_barrier, agent_barrier, flags);
    (void)Commit(&cpu, 1, 0);
    return CpuDataRegion::Result(txn);
  }

  // The latest sequence number of `gtid`.
  uint32_t Seq(uint64_t gtid) {
    std::optional<StatusWord> w = words_->Find(gtid);
    return w ? w->barrier : 0;
  }

  std::optional<StatusWord> Word(uint64_t gtid) { return words_->Find(gtid); }

  // Every message queued so far (the enclave's default queue), in order.
  std::vector<ghost_msg> Drain() {
    std::vector<ghost_msg> out;
    ghost_msg msg;
    while (queue_->ring().Pop(&msg)) out.push_back(msg);
    return out;
  }

  CpuDataRegion& cpu_data() { return *cpu_data_; }
  int dir_fd() const { return dir_.get(); }

 private:
  Fd dir_;
  std::unique_ptr<CpuDataRegion> cpu_data_;
  std::unique_ptr<StatusWordRegion> words_;
  std::unique_ptr<MessageQueue> queue_;
  uint32_t sw_index_ = 0;
};

}  // namespace ghost::testing

#endif  // GHOST_TESTS_VM_MANUAL_AGENT_H_
