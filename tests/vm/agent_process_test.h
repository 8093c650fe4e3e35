// AgentProcessTest: the fixture of the VM tests that run an agent binary
// as its own process, as a user would (AgentFifoProcess), on an enclave
// the agent creates. The suite is parameterized by what it varies (a mode
// of agent_fifo, a policy of ghost_agent). Each test starts with no
// enclave and ends with none; between, the fixture starts the agent on
// the suite's enclave and CPUs, sets that enclave's watchdog, and stops
// the agent as a user does (SIGTERM).
//
//   constexpr char kAgent[] = "/ghost/bin/ghost_agent";
//   class MyTest : public ghost::testing::AgentProcessTest {
//    protected:
//     MyTest() : AgentProcessTest(/*enclave_id=*/30, "1-3", kAgent) {}
//   };
//   TEST_P(MyTest, Schedules) {
//     auto agent = Launch(absl::StrCat("--policy=", GetParam()), kAgent);
//     ASSERT_TRUE(agent->WaitForOutput("ready", absl::Seconds(30)));
//     ASSERT_TRUE(SetWatchdog("2000").ok());
//     ...
//     ExpectCleanExit(*agent);
//   }
#ifndef GHOST_TESTS_VM_AGENT_PROCESS_TEST_H_
#define GHOST_TESTS_VM_AGENT_PROCESS_TEST_H_

#include <signal.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "lib/abi/enclave.h"
#include "lib/abi/ghostfs_mount.h"
#include "lib/uapi/linux/ghost.h"
#include "tests/vm/agent_fifo_process.h"
#include "tests/vm/vm_helpers.h"

namespace ghost::testing {

class AgentProcessTest : public ::testing::TestWithParam<const char*> {
 protected:
  // The agents of the suite's tests create enclave `enclave_id` on `cpus`
  // (a CPU list, e.g. "1-3"); `binary` must be in the VM for any test to
  // run.
  AgentProcessTest(unsigned int enclave_id, std::string cpus,
                   const char* binary)
      : enclave_id_(enclave_id), cpus_(std::move(cpus)), binary_(binary) {}

  void SetUp() override {
    ASSERT_EQ(access(binary_, X_OK), 0) << binary_ << " is not in the VM";
    ASSERT_TRUE(EnsureGhostfsMounted(GHOSTFS_MOUNT_POINT).ok());
    DestroyAllEnclaves();
  }
  void TearDown() override { DestroyAllEnclaves(); }

  // Starts `binary` with `first` (its mode or policy), then the suite's
  // CPUs and enclave, which it creates, then `extra`. It schedules once
  // it prints "ready": the caller waits for that.
  std::unique_ptr<AgentFifoProcess> Launch(
      const std::string& first, const char* binary,
      const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> args = {first, absl::StrCat("--cpus=", cpus_),
                                     absl::StrCat("--enclave=", enclave_id_)};
    args.insert(args.end(), extra.begin(), extra.end());
    return std::make_unique<AgentFifoProcess>(args, binary);
  }

  // Sets the suite's enclave's watchdog: a thread that waits `ms`
  // milliseconds for a CPU ends the enclave.
  absl::Status SetWatchdog(const char* ms) const {
    return WriteGhostfsFile(absl::StrCat(GHOSTFS_MOUNT_POINT, "/enclave_",
                                         enclave_id_, "/runnable_timeout"),
                            ms);
  }

  // Stops `agent` as a user does (SIGTERM): it must exit 0.
  static void ExpectCleanExit(AgentFifoProcess& agent) {
    agent.Signal(SIGTERM);
    EXPECT_EQ(agent.WaitExit(absl::Seconds(20)), 0) << agent.output();
  }

 private:
  const unsigned int enclave_id_;
  const std::string cpus_;
  const char* const binary_;
};

}  // namespace ghost::testing

#endif  // GHOST_TESTS_VM_AGENT_PROCESS_TEST_H_
