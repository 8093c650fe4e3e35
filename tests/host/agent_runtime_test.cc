// The agent runtime's pieces that need no kernel: --on_exit, the
// enclave choice's refusals, stop requests, and the census.
#include <memory>
#include <thread>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/runtime/census.h"
#include "lib/runtime/enclave_choice.h"
#include "lib/runtime/stop_request.h"
#include "lib/runtime/takeover.h"
#include "schedulers/tiny_fifo/tiny_fifo_scheduler.h"
#include "tests/host/fakes/fake_kernel.h"

namespace ghost {
namespace {

using ::ghost::testing::FakeKernel;
using ::testing::HasSubstr;

TEST(OnExit, DefaultDestroysWhatTheAgentCreatedAndKeepsTheRest) {
  EXPECT_EQ(*ParseOnExit("", /*created=*/true), OnExit::kDestroy);
  EXPECT_EQ(*ParseOnExit("", /*created=*/false), OnExit::kKeep);
  EXPECT_EQ(*ParseOnExit("keep", true), OnExit::kKeep);
  EXPECT_EQ(*ParseOnExit("destroy", false), OnExit::kDestroy);
}

TEST(OnExit, AnythingElseIsRefusedWithTheChoices) {
  absl::StatusOr<OnExit> e = ParseOnExit("later", false);
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(e.status().message(), HasSubstr("use destroy or keep"));
}

TEST(EnclaveChoice, NeitherIdNorCpusSaysWhatToPass) {
  absl::StatusOr<ChosenEnclave> e =
      OpenOrCreateEnclave({.id = -1, .cpus = "", .ghostfs = "/nonexistent"});
  ASSERT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(e.status().message(), HasSubstr("--enclave=N"));
}

TEST(EnclaveChoice, AMissingEnclaveSaysHowToCreateIt) {
  absl::StatusOr<ChosenEnclave> e =
      OpenOrCreateEnclave({.id = 7, .cpus = "", .ghostfs = "/nonexistent"});
  ASSERT_EQ(e.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(e.status().message(), HasSubstr("--cpus=LIST"));
}

TEST(EnclaveChoice, ABadCpuListIsRefusedBeforeAnythingIsCreated) {
  absl::StatusOr<ChosenEnclave> e =
      OpenOrCreateEnclave({.id = 7, .cpus = "1-", .ghostfs = "/nonexistent"});
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Takeover, OnlyRuntimeProgramsAreTakenOver) {
  absl::StatusOr<std::vector<pid_t>> pids =
      ChoosePredecessors(3, {{10, "agent_fifo"}, {11, "ghost_agent"}}, true);
  ASSERT_TRUE(pids.ok());
  EXPECT_EQ(*pids, (std::vector<pid_t>{10, 11}));
  pids = ChoosePredecessors(3, {{12, "my_agent"}}, true);
  ASSERT_FALSE(pids.ok());
  EXPECT_THAT(pids.status().message(), HasSubstr("stop it first"));
}

TEST(Takeover, WithoutTakeoverARunningAgentIsAnError) {
  absl::StatusOr<std::vector<pid_t>> pids =
      ChoosePredecessors(3, {{10, "agent_fifo"}}, false);
  ASSERT_FALSE(pids.ok());
  EXPECT_THAT(pids.status().message(), HasSubstr("--takeover"));
}

TEST(StopRequest, TheFirstReasonWins) {
  StopRequest stop;
  EXPECT_EQ(stop.WaitFor(absl::Milliseconds(1)), StopReason::kNone);
  stop.Request(StopReason::kControl);
  stop.Request(StopReason::kSignal);
  EXPECT_EQ(stop.Wait(), StopReason::kControl);
}

TEST(StopRequest, ARequestFromAnotherThreadEndsTheWait) {
  StopRequest stop;
  std::thread t([&] {
    absl::SleepFor(absl::Milliseconds(20));
    stop.Request(StopReason::kDestroyed);
  });
  EXPECT_EQ(stop.WaitFor(absl::Seconds(10)), StopReason::kDestroyed);
  t.join();
}

TEST(Census, CountsTasksByStateAndNamesWhereTheyRun) {
  FakeKernel kernel({1});
  TinyFifoScheduler sched(kernel, 1);
  ASSERT_TRUE(sched.Init().ok());
  sched.AgentAttached(1, *kernel.AttachAgent(1));
  kernel.SetCallerCpu(1);
  sched.AllAttached();
  const uint64_t a = kernel.Spawn();
  kernel.Spawn();
  sched.Round(1);
  ASSERT_EQ(kernel.running_gtid(1), a);
  const std::string census = Census(sched);
  EXPECT_THAT(census, HasSubstr("2 tasks (0 blocked, 1 runnable, 1 running, "
                                "1 queued)"));
  EXPECT_THAT(census, HasSubstr("failed commits: none"));
  // Word 0 is the agent's; the first thread has word 1.
  EXPECT_THAT(census, HasSubstr("running (word@cpu): 1@"));
}

TEST(StopTotals, NamesThePolicysOwnCountersAfterTheTotals) {
  TxnCounters txns;
  txns.Count(GHOST_TXN_COMPLETE);
  txns.Count(GHOST_TXN_COMPLETE);
  txns.Count(GHOST_TXN_TARGET_STALE);
  EXPECT_EQ(StopTotals(txns, 7, {}),
            "2 commits completed, 1 failed, 7 messages");
  EXPECT_EQ(StopTotals(txns, 7, {{"slice_preemptions", 3}, {"lent", 1}}),
            "2 commits completed, 1 failed, 7 messages "
            "(slice_preemptions=3 lent=1)");
}

}  // namespace
}  // namespace ghost
