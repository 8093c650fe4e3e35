// ManualAgentTest: the fixture of the VM tests in which the test itself is
// the agent (ManualAgent, tests/vm/manual_agent.h), for cases that check
// one exact transaction or latch. Each test gets a fresh enclave on the
// CPUs its suite names and a ManualAgent on it, and the steps every such
// test takes before the transaction it checks: threads made runnable that
// no agent runs, a latch made as an agent makes it, a message awaited.
//
//   class MyTest : public ghost::testing::ManualAgentTest {
//    protected:
//     MyTest() : ManualAgentTest(/*enclave_id=*/25, "1-2") {}
//   };
//   TEST_F(MyTest, ALatchCompletes) {
//     GatedWorkers w(1, [](int) {});
//     const uint64_t gtid = RunnableGhostThreads(w, 1)[0];
//     agent_->AsAgent(1, [&] { EXPECT_EQ(Latch(2, gtid), "COMPLETE"); });
//   }
#ifndef GHOST_TESTS_VM_MANUAL_AGENT_TEST_H_
#define GHOST_TESTS_VM_MANUAL_AGENT_TEST_H_

#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "lib/abi/cpu_data_region.h"
#include "lib/abi/enclave.h"
#include "lib/abi/ghost_run.h"
#include "lib/abi/ghostfs_mount.h"
#include "lib/abi/status_word_region.h"
#include "lib/uapi/linux/ghost.h"
#include "tests/vm/gated_workers.h"
#include "tests/vm/manual_agent.h"
#include "tests/vm/vm_helpers.h"
#include "tests/vm/wait_for.h"

namespace ghost::testing {

class ManualAgentTest : public ::testing::Test {
 protected:
  // Every test of the suite gets enclave `enclave_id` on `cpus` (a CPU
  // list, e.g. "1-3").
  ManualAgentTest(unsigned int enclave_id, std::string cpus)
      : enclave_id_(enclave_id), cpus_(std::move(cpus)) {}

  void SetUp() override {
    ASSERT_TRUE(EnsureGhostfsMounted(GHOSTFS_MOUNT_POINT).ok());
    DestroyAllEnclaves();
    absl::StatusOr<Enclave> e = Enclave::Create(enclave_id_);
    ASSERT_TRUE(e.ok()) << e.status();
    enclave_.emplace(*e);
    ASSERT_TRUE(enclave_->SetCpus(cpus_).ok());
    agent_.emplace(*enclave_);
  }
  // The agent (its mappings and queue of the enclave) before the enclave.
  void TearDown() override {
    agent_.reset();
    DestroyAllEnclaves();
  }

  // Moves `w`'s threads in and releases them: runnable, never run (no
  // agent runs them). Returns the gtids of the first `n` once their words
  // say so, each waited for up to `limit`.
  std::vector<uint64_t> RunnableGhostThreads(GatedWorkers& w, int n,
                                             absl::Duration limit = kWaitLimit) {
    EXPECT_TRUE(w.MoveInto(*enclave_).ok());
    w.Release();
    std::vector<uint64_t> gtids;
    for (int i = 0; i < n; ++i) {
      const uint64_t gtid = *GetGtid(w.tid(i));
      EXPECT_TRUE(WaitFor(
          [&] {
            std::optional<StatusWord> word = agent_->Word(gtid);
            return word && word->runnable();
          },
          limit))
          << "a released thread never became runnable";
      gtids.push_back(gtid);
    }
    return gtids;
  }

  // Latches `gtid` on `cpu` alone, as an agent does: a commit refused as
  // TARGET_STALE (the thread's word moved, its message is queued) is made
  // again with the new barrier once that message is read. The messages
  // that moved it are printed, so a spurious one would show. Call it as
  // the agent (inside agent_->AsAgent()).
  std::string Latch(int cpu, uint64_t gtid) {
    std::string result;
    for (int attempt = 0; attempt < 3; ++attempt) {
      std::vector<ghost_msg> before = agent_->Drain();
      if (attempt > 0) {
        std::cout << "stale commit; the messages queued meanwhile:";
        for (const ghost_msg& msg : before) {
          std::cout << " " << msg.type << "(gtid " << msg.gtid << ")";
        }
        std::cout << "\n";
      }
      result = TxnResultName(agent_->Try(cpu, gtid, agent_->Seq(gtid), 0));
      if (result != "TARGET_STALE") break;
    }
    return result;
  }

  // Waits up to `limit` for a message of `type` about `gtid`; the type of
  // every message about it read meanwhile is appended to `seen`.
  bool AwaitMessage(uint64_t gtid, uint16_t type, std::vector<uint16_t>& seen,
                    absl::Duration limit) {
    return WaitFor(
        [&] {
          for (const ghost_msg& msg : agent_->Drain()) {
            if (msg.gtid == gtid) seen.push_back(msg.type);
          }
          for (uint16_t t : seen) {
            if (t == type) return true;
          }
          return false;
        },
        limit);
  }

  std::optional<Enclave> enclave_;
  std::optional<ManualAgent> agent_;

 private:
  const unsigned int enclave_id_;
  const std::string cpus_;
};

}  // namespace ghost::testing

#endif  // GHOST_TESTS_VM_MANUAL_AGENT_TEST_H_
