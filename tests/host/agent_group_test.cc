// AgentGroup's thread handling against a small thread-safe kernel double:
// one thread per CPU, rounds until stopped, retry while a CPU still has an
// agent, and a clear error otherwise.
#include "lib/agent/agent_group.h"

#include <atomic>
#include <cerrno>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace ghost {
namespace {

// Each agent thread's CPU, and whether a call found it detached.
thread_local int agent_cpu = -1;
thread_local bool agent_detached = false;

// Only the calls AgentGroup makes; BlockAgent sleeps a little. After
// Destroy(), or for the agent of the CPU taken Offline(), BlockAgent fails
// as the kernel's does for a thread that is no agent (EINVAL).
class ThreadedKernel final : public KernelInterface {
 public:
  absl::StatusOr<std::vector<int>> EnclaveCpus() override { return cpus_; }
  absl::StatusOr<Channel*> CreateChannel(uint32_t, bool) override {
    return absl::UnimplementedError("not needed");
  }
  absl::Status SetChannelWakeup(Channel&, absl::Span<const int>) override {
    return absl::OkStatus();
  }
  absl::StatusOr<uint32_t> AttachAgent(int cpu) override {
    absl::MutexLock lock(&mu_);
    if (busy_until_.count(cpu) && busy_until_[cpu]-- > 0) {
      return absl::Status(absl::ErrnoToStatusCode(EBUSY), "busy");
    }
    if (cpu == refuse_) return absl::InvalidArgumentError("not ours");
    attached_.insert(cpu);
    agent_cpu = cpu;
    agent_detached = false;
    return static_cast<uint32_t>(cpu);
  }
  void DetachAgent() override { detached_.fetch_add(1); }
  const StatusWordRegion& words() const override { abort(); }
  int Associate(const Channel&, uint64_t, uint32_t) override { return 0; }
  ghost_txn* Txn(int) override { return nullptr; }
  int Commit(const int*, uint32_t, uint32_t, uint32_t) override { return 0; }
  int BlockAgent(uint32_t) override {
    if (destroyed_.load() || agent_cpu == offline_.load()) {
      agent_detached = true;
      return EINVAL;
    }
    absl::SleepFor(absl::Milliseconds(1));
    return 0;
  }
  int PingAgent(int) override {
    pings_.fetch_add(1);
    return 0;
  }
  int FreeStatusWord(uint32_t, uint32_t) override { return 0; }
  absl::Status EnableTicks() override { return absl::OkStatus(); }
  int SetCpuChannel(int, const Channel&) override { return 0; }
  bool CallerDetached() override { return agent_detached; }
  absl::StatusOr<std::optional<std::string>> WhyDestroyed() override {
    why_asked_.fetch_add(1);
    if (!destroyed_.load()) return std::nullopt;
    return std::optional<std::string>("watchdog: thread 7 was runnable");
  }

  void Destroy() { destroyed_.store(true); }
  void Offline(int cpu) { offline_.store(cpu); }

  std::vector<int> cpus_ = {1, 2, 3};
  absl::Mutex mu_;
  std::map<int, int> busy_until_;  // EBUSY answers left, by CPU
  int refuse_ = -1;
  std::set<int> attached_;
  std::atomic<int> detached_{0};
  std::atomic<int> pings_{0};
  std::atomic<bool> destroyed_{false};
  std::atomic<int> offline_{-1};
  std::atomic<int> why_asked_{0};
};

class CountingLoop final : public AgentLoop {
 public:
  explicit CountingLoop(KernelInterface& k) : kernel_(k) {}
  void AgentAttached(int cpu, uint32_t) override {
    absl::MutexLock lock(&mu_);
    attached_.insert(cpu);
  }
  void AllAttached() override { all_attached_.fetch_add(1); }
  void Round(int cpu) override {
    rounds_[cpu].fetch_add(1);
    (void)kernel_.BlockAgent(0);
  }
  KernelInterface& kernel_;
  absl::Mutex mu_;
  std::set<int> attached_;
  std::atomic<int> all_attached_{0};
  std::atomic<int> rounds_[8] = {};
};

TEST(AgentGroupTest, EveryCpuGetsAnAgentThatRunsRoundsUntilStopped) {
  ThreadedKernel kernel;
  CountingLoop loop(kernel);
  absl::StatusOr<std::unique_ptr<AgentGroup>> group =
      AgentGroup::Start(kernel, {1, 2, 3}, loop, absl::Seconds(5));
  ASSERT_TRUE(group.ok()) << group.status();
  EXPECT_EQ(loop.all_attached_.load(), 1);
  absl::SleepFor(absl::Milliseconds(50));
  for (int cpu : {1, 2, 3}) EXPECT_GT(loop.rounds_[cpu].load(), 0) << cpu;
  (*group)->Stop();
  EXPECT_EQ(kernel.detached_.load(), 3) << "every agent left ghost";
  EXPECT_GT(kernel.pings_.load(), 0);
}

TEST(AgentGroupTest, ACpuThatStillHasAnAgentIsRetried) {
  ThreadedKernel kernel;
  kernel.busy_until_[2] = 5;  // the old agent leaves after 5 tries
  CountingLoop loop(kernel);
  absl::StatusOr<std::unique_ptr<AgentGroup>> group =
      AgentGroup::Start(kernel, {1, 2, 3}, loop, absl::Seconds(5));
  ASSERT_TRUE(group.ok()) << group.status();
  EXPECT_EQ(kernel.attached_.count(2), 1u);
}

TEST(AgentGroupTest, ACpuThatStaysBusyFailsWithAHint) {
  ThreadedKernel kernel;
  kernel.busy_until_[3] = 1 << 30;
  CountingLoop loop(kernel);
  absl::StatusOr<std::unique_ptr<AgentGroup>> group =
      AgentGroup::Start(kernel, {1, 2, 3}, loop, absl::Milliseconds(30));
  ASSERT_FALSE(group.ok());
  EXPECT_NE(group.status().message().find("another agent"),
            absl::string_view::npos)
      << group.status();
  EXPECT_EQ(loop.all_attached_.load(), 0) << "no policy ran";
  EXPECT_EQ(kernel.detached_.load(), 2) << "the attached agents left";
}

TEST(AgentGroupTest, AnAttachErrorIsReturnedAsIs) {
  ThreadedKernel kernel;
  kernel.refuse_ = 1;
  CountingLoop loop(kernel);
  absl::StatusOr<std::unique_ptr<AgentGroup>> group =
      AgentGroup::Start(kernel, {1, 2}, loop, absl::Seconds(5));
  ASSERT_FALSE(group.ok());
  EXPECT_EQ(group.status().code(), absl::StatusCode::kInvalidArgument);
}

// Waits until `done()` holds, for at most `limit`.
bool WaitUntil(const std::function<bool()>& done, absl::Duration limit) {
  const absl::Time end = absl::Now() + limit;
  while (!done()) {
    if (absl::Now() > end) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

// A group on CPUs 1-3 that counts its on_destroyed calls.
class DetachTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<AgentGroup>> g = AgentGroup::Start(
        kernel_, {1, 2, 3}, loop_, absl::Seconds(5),
        [this] { calls_.fetch_add(1); });
    ASSERT_TRUE(g.ok()) << g.status();
    group_ = std::move(*g);
  }

  ThreadedKernel kernel_;
  CountingLoop loop_{kernel_};
  std::atomic<int> calls_{0};
  std::unique_ptr<AgentGroup> group_;
};

TEST_F(DetachTest, ADestroyedEnclaveIsReportedOnceWithItsReason) {
  EXPECT_EQ(group_->destroyed(), std::nullopt);

  kernel_.Destroy();

  ASSERT_TRUE(WaitUntil([&] { return calls_.load() > 0; }, absl::Seconds(10)));
  ASSERT_TRUE(WaitUntil([&] { return kernel_.why_asked_.load() == 3; },
                        absl::Seconds(10)))
      << "every agent thread noticed";
  EXPECT_EQ(calls_.load(), 1);
  EXPECT_EQ(group_->destroyed(),
            std::optional<std::string>("watchdog: thread 7 was runnable"));
  EXPECT_TRUE(group_->detached_cpus().empty());
  group_->Stop();
  EXPECT_EQ(kernel_.detached_.load(), 0) << "no agent was left to detach";
}

TEST_F(DetachTest, AnAgentDetachedAloneStopsWhileTheOthersRunOn) {
  kernel_.Offline(2);

  ASSERT_TRUE(WaitUntil([&] { return !group_->detached_cpus().empty(); },
                        absl::Seconds(10)));
  EXPECT_EQ(group_->detached_cpus(), std::vector<int>{2});
  const int rounds_of_1 = loop_.rounds_[1].load();
  EXPECT_TRUE(WaitUntil([&] { return loop_.rounds_[1].load() > rounds_of_1; },
                        absl::Seconds(10)))
      << "the agent of CPU 1 still runs rounds";
  EXPECT_EQ(calls_.load(), 0);
  EXPECT_EQ(group_->destroyed(), std::nullopt);
  group_->Stop();
  EXPECT_EQ(kernel_.detached_.load(), 2) << "the two agents left ghost";
}

}  // namespace
}  // namespace ghost
