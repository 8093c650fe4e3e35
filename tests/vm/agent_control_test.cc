// The agent control channel on the real kernel: ghost_agent serves
// /run/ghost/enclave_<id>.sock once ready; status says which policy runs
// which CPUs, and stop ends the agent as SIGTERM does (the enclave it
// created goes with it) and removes the socket.
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/runtime/control_client.h"
#include "lib/runtime/control_protocol.h"
#include "tests/vm/agent_fifo_process.h"
#include "tests/vm/vm_helpers.h"

namespace ghost {
namespace {

using ::ghost::testing::AgentFifoProcess;
using ::ghost::testing::DestroyAllEnclaves;
using ::ghost::testing::EnclaveExists;
using ::testing::HasSubstr;

constexpr unsigned int kId = 41;
constexpr char kGhostAgent[] = "/ghost/bin/ghost_agent";

class AgentControlTest : public ::testing::Test {
 protected:
  void TearDown() override { DestroyAllEnclaves(); }
  const std::string path_ = ControlSocketPath(kControlDir, kId);
};

TEST_F(AgentControlTest, StatusNamesThePolicyAndStopEndsTheAgent) {
  AgentFifoProcess agent(
      {"--policy=tiny_fifo", "--cpus=1", absl::StrCat("--enclave=", kId)},
      kGhostAgent);
  ASSERT_TRUE(agent.WaitForOutput("ready", absl::Seconds(30)))
      << agent.output();

  absl::StatusOr<AgentReport> report = AskAgent(path_, ControlRequest::kStatus);
  ASSERT_TRUE(report.ok()) << report.status() << "\n" << agent.output();
  EXPECT_EQ(report->program, "ghost_agent");
  EXPECT_EQ(report->policy, "tiny_fifo");
  EXPECT_EQ(report->pid, agent.pid());
  EXPECT_EQ(report->enclave, kId);
  EXPECT_EQ(report->cpus, "1");

  ASSERT_TRUE(AskAgent(path_, ControlRequest::kStop).ok());
  EXPECT_EQ(agent.WaitExit(absl::Seconds(20)), 0) << agent.output();
  EXPECT_THAT(agent.output(), HasSubstr("stopped"));
  EXPECT_FALSE(EnclaveExists(kId)) << "it created the enclave: it destroys it";
  EXPECT_NE(access(path_.c_str(), F_OK), 0) << "the socket went with it";
}

TEST_F(AgentControlTest, WithoutAnAgentNobodyAnswers) {
  EXPECT_EQ(AskAgent(path_, ControlRequest::kStatus).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace ghost
