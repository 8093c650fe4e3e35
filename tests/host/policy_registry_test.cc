// The policy registry: names, look-up, help, and that every registered
// policy of schedulers/policies.cc can be made on the fake kernel (or says
// why the enclave does not suit it).
#include "lib/runtime/policy_registry.h"

#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "schedulers/policies.h"
#include "tests/host/fakes/fake_kernel.h"

namespace ghost {
namespace {

using ::ghost::testing::FakeKernel;
using ::testing::HasSubstr;

TEST(PolicyRegistry, NamesEveryPolicyInOrder) {
  EXPECT_EQ(Policies().Names(), "fifo_percpu|fifo_centralized|shinjuku|tiny_fifo");
}

TEST(PolicyRegistry, FindsAPolicyByItsName) {
  absl::StatusOr<const PolicyInfo*> p = Policies().Find("fifo_centralized");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)->name, "fifo_centralized");
}

TEST(PolicyRegistry, AnUnknownNameListsTheChoices) {
  absl::StatusOr<const PolicyInfo*> p = Policies().Find("fifo");
  ASSERT_EQ(p.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(p.status().message(), HasSubstr("no policy called 'fifo'"));
  EXPECT_THAT(p.status().message(),
              HasSubstr("fifo_percpu|fifo_centralized|shinjuku|tiny_fifo"));
}

TEST(PolicyRegistry, HelpHasOneLinePerPolicy) {
  const std::string help = Policies().Help();
  EXPECT_EQ(std::count(help.begin(), help.end(), '\n'), 4);
  EXPECT_THAT(help, HasSubstr("  tiny_fifo "));
}

// Every policy is made for a one-CPU enclave, or says why not and is made
// for a two-CPU one (shinjuku keeps one CPU for its global agent).
TEST(PolicyRegistry, EveryPolicyIsMadeForOneOrTwoCpus) {
  for (const PolicyInfo& info : Policies().policies()) {
    FakeKernel kernel({1, 2});
    absl::StatusOr<std::unique_ptr<Policy>> policy =
        info.make(kernel, {.cpus = {1}});
    if (!policy.ok()) {
      EXPECT_THAT(policy.status().message(), HasSubstr("CPU")) << info.name;
      policy = info.make(kernel, {.cpus = {1, 2}});
    }
    ASSERT_TRUE(policy.ok()) << info.name << ": " << policy.status();
    EXPECT_TRUE((*policy)->Init().ok()) << info.name;
  }
}

TEST(PolicyRegistry, TinyFifoRefusesAnEnclaveOfSeveralCpus) {
  FakeKernel kernel({1, 2});
  absl::StatusOr<std::unique_ptr<Policy>> policy =
      (*Policies().Find("tiny_fifo"))->make(kernel, {.cpus = {1, 2}});
  ASSERT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(policy.status().message(), HasSubstr("one CPU"));
}

TEST(PolicyRegistry, APolicyFromTheRegistrySchedulesOnTheFakeKernel) {
  FakeKernel kernel({1});
  absl::StatusOr<std::unique_ptr<Policy>> policy =
      (*Policies().Find("fifo_percpu"))->make(kernel, {.cpus = {1}});
  ASSERT_TRUE(policy.ok());
  Policy& p = **policy;
  ASSERT_TRUE(p.Init().ok());
  p.AgentAttached(1, *kernel.AttachAgent(1));
  kernel.SetCallerCpu(1);
  p.AllAttached();
  const uint64_t a = kernel.Spawn();
  p.Round(1);
  EXPECT_EQ(kernel.running_gtid(1), a);
  EXPECT_EQ(p.txns().completed(), 1u);
}

}  // namespace
}  // namespace ghost
