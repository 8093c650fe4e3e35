// The tutorial's policy (docs/writing-a-scheduler.md, tiny_fifo) on the
// real kernel, written as the tutorial's VM test template says: threads
// born in its enclave all finish, and so do processes that block and wake
// each other all the time (hackbench). Keep this file and the template in
// the tutorial alike: it is the proof that the template compiles and runs.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/abi/enclave.h"
#include "lib/uapi/linux/ghost.h"
#include "tests/vm/agent_fifo_process.h"
#include "tests/vm/enclave_child.h"
#include "tests/vm/vm_helpers.h"

namespace ghost {
namespace {

using ::ghost::testing::AgentFifoProcess;
using ::ghost::testing::DestroyAllEnclaves;
using ::ghost::testing::RunInEnclave;
using ::testing::HasSubstr;

constexpr unsigned int kEnclave = 30;

class TinyFifoTest : public ::testing::Test {
 protected:
  void SetUp() override { DestroyAllEnclaves(); }
  void TearDown() override { DestroyAllEnclaves(); }

  // ghost_agent --policy=tiny_fifo on CPU 1, scheduling once it says so.
  static std::unique_ptr<AgentFifoProcess> StartAgent() {
    auto agent = std::make_unique<AgentFifoProcess>(
        std::vector<std::string>{"--policy=tiny_fifo", "--cpus=1",
                                 absl::StrCat("--enclave=", kEnclave)},
        "/ghost/bin/ghost_agent");
    EXPECT_TRUE(agent->WaitForOutput("ready", absl::Seconds(30)))
        << agent->output();
    return agent;
  }
};

// Eight threads that each spin a little and sleep a little, 50 times:
// every one is born in the enclave, so only tiny_fifo runs them.
TEST_F(TinyFifoTest, ThreadsBornInTheEnclaveFinish) {
  std::unique_ptr<AgentFifoProcess> agent = StartAgent();
  const int code = RunInEnclave(
      Enclave(kEnclave, GHOSTFS_MOUNT_POINT), absl::Seconds(60), [] {
        std::atomic<int> done{0};
        std::vector<std::thread> threads;
        for (int i = 0; i < 8; ++i) {
          threads.emplace_back([&done] {
            for (int round = 0; round < 50; ++round) {
              const absl::Time until = absl::Now() + absl::Microseconds(200);
              while (absl::Now() < until) {
              }
              absl::SleepFor(absl::Microseconds(500));
            }
            done.fetch_add(1);
          });
        }
        for (std::thread& t : threads) t.join();
        return done.load() == 8 ? 0 : 1;
      });
  EXPECT_EQ(code, 0) << agent->output();
  agent->Signal(SIGTERM);
  EXPECT_EQ(agent->WaitExit(absl::Seconds(10)), 0) << agent->output();
  EXPECT_THAT(agent->output(), HasSubstr("policy tiny_fifo"));
}

// Processes that block and wake each other all the time, through pipes.
TEST_F(TinyFifoTest, HackbenchFinishesWithValidOutput) {
  std::unique_ptr<AgentFifoProcess> agent = StartAgent();
  const char kOut[] = "/tmp/tiny_fifo_hackbench.out";
  const int code = RunInEnclave(
      Enclave(kEnclave, GHOSTFS_MOUNT_POINT), absl::Seconds(60), [&] {
        const std::string cmd =
            absl::StrCat("hackbench -g 1 -l 20 > ", kOut, " 2>&1");
        execl("/bin/sh", "sh", "-c", cmd.c_str(), nullptr);
        return 127;
      });
  std::ifstream in(kOut);
  std::stringstream out;
  out << in.rdbuf();
  EXPECT_EQ(code, 0) << out.str() << agent->output();
  EXPECT_THAT(out.str(), HasSubstr("Time:"));
  agent->Signal(SIGTERM);
  EXPECT_EQ(agent->WaitExit(absl::Seconds(10)), 0) << agent->output();
}

}  // namespace
}  // namespace ghost
