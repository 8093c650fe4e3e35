// The per-CPU FIFO policy across agent deaths, against the fake kernel:
// agents are killed at random moments of a random workload, the kernel
// runs threads itself meanwhile (bypass), and a new policy instance takes
// the enclave over from the status words (discovery). The real kernel:
// tests/vm/agent_kill_test.cc.
//
// A real agent runs a round only when something woke it; so does the
// driver here (FakeKernel::agent_asleep). What is checked is what the VM
// test checks, without its timing: once the workload stops waking threads,
// every runnable thread runs and blocks, and no agent sleeps while a
// thread waits that nothing would ever run. Some threads are pinned (the
// old code stranded those: an agent slept in a refused commit).
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "schedulers/fifo/percpu/percpu_fifo_scheduler.h"
#include "tests/host/fakes/fake_kernel.h"

namespace ghost::fifo {
namespace {

using ::ghost::testing::FakeKernel;

constexpr int kThreads = 24;

class PerCpuTakeoverTest : public ::testing::Test {
 protected:
  // A new agent process: its own policy instance, queues and agents.
  void StartAgent() {
    sched_ = std::make_unique<PerCpuFifoScheduler>(
        *kernel_, cpus_,
        PerCpuFifoScheduler::Options{.queue_size = 256,
                                     .clock = [this] { return now_; }});
    ASSERT_TRUE(testing::StartOnFake(*kernel_, *sched_, cpus_).ok());
  }

  // The agent of `cpu` runs a round, if it is awake: it takes its CPU
  // from the thread running there, as the agent class does.
  void RoundIfAwake(int cpu) {
    if (kernel_->agent_asleep(cpu)) return;
    kernel_->AgentTakesCpu(cpu);
    kernel_->SetCallerCpu(cpu);
    sched_->Round(cpu);
  }

  bool AnyAgentAwake() const {
    for (int cpu : cpus_) {
      if (!kernel_->agent_asleep(cpu)) return true;
    }
    return false;
  }
  bool AnyThreadRunning() const {
    for (int cpu : cpus_) {
      if (kernel_->running_gtid(cpu) != 0) return true;
    }
    return false;
  }

  // A millisecond passes: each CPU that runs a thread ticks.
  void Tick() {
    now_ += absl::ToInt64Nanoseconds(absl::Milliseconds(1));
    for (int cpu : cpus_) kernel_->Tick(cpu);
  }

  // One random event of the workload or the agents.
  void Step(std::mt19937& rng) {
    const int what = rng() % 10;
    if (what < 4) {
      RoundIfAwake(cpus_[rng() % cpus_.size()]);
    } else if (what < 8) {
      const uint64_t g = threads_[rng() % threads_.size()];
      if (kernel_->cpu_of(g) >= 0) {
        const int how = rng() % 10;
        if (how < 5) {
          kernel_->Yield(g);
        } else if (how < 9) {
          kernel_->Block(g);
        } else {
          kernel_->Preempt(g);  // a higher class, for a moment
        }
      } else if (!kernel_->runnable(g)) {
        kernel_->Wake(g);
      } else if (rng() % 8 == 0) {
        // Some threads are pinned (to one CPU or two), some unpinned.
        const uint64_t masks[] = {1u << 1, 1u << 2, 1u << 3, 0b1100, 0b1110};
        kernel_->SetAllowed(g, masks[rng() % 5]);
      }
    } else {
      Tick();
    }
  }

  // The agents die; the kernel runs threads itself for a while.
  void KillAndBypass(std::mt19937& rng) {
    kernel_->KillAgents();
    const int events = rng() % 40;
    for (int i = 0; i < events; ++i) {
      const uint64_t g = threads_[rng() % threads_.size()];
      const int cpu = cpus_[rng() % cpus_.size()];
      if (kernel_->runnable(g)) {
        kernel_->RunInBypass(g, cpu);
      } else if (kernel_->cpu_of(g) >= 0) {
        rng() % 2 ? kernel_->Yield(g) : kernel_->Block(g);
      } else {
        kernel_->Wake(g);
      }
    }
  }

  // No more wakeups: every thread that runs blocks. Returns how the
  // enclave ended: "" if every thread sleeps, else what is stranded.
  std::string Settle() {
    int i = 0;
    for (; i < 100000 && (AnyAgentAwake() || AnyThreadRunning()); ++i) {
      for (int cpu : cpus_) RoundIfAwake(cpu);
      for (int cpu : cpus_) {
        if (uint64_t g = kernel_->running_gtid(cpu)) kernel_->Block(g);
      }
      Tick();
    }
    if (i == 100000) return "the agents never went to sleep";
    std::string stranded;
    for (uint64_t g : threads_) {
      if (kernel_->runnable(g)) absl::StrAppend(&stranded, " ", g);
    }
    if (stranded.empty()) return "";
    return absl::StrCat("runnable with every agent asleep and every CPU idle:",
                        stranded);
  }

  std::vector<int> cpus_ = {1, 2, 3};
  int64_t now_ = 1000000000;
  std::unique_ptr<FakeKernel> kernel_;
  std::unique_ptr<PerCpuFifoScheduler> sched_;
  std::vector<uint64_t> threads_;
};

TEST_F(PerCpuTakeoverTest, NoThreadIsStrandedAcrossRandomAgentKills) {
  for (uint32_t seed = 1; seed <= 100; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    std::mt19937 rng(seed);
    sched_.reset();
    kernel_ = std::make_unique<FakeKernel>(cpus_);
    threads_.clear();
    StartAgent();
    for (int i = 0; i < kThreads; ++i) threads_.push_back(kernel_->Spawn());
    for (int kill = 0; kill < 6; ++kill) {
      const int steps = 50 + rng() % 300;
      for (int i = 0; i < steps; ++i) Step(rng);
      KillAndBypass(rng);
      StartAgent();
    }
    for (int i = 0; i < 300; ++i) Step(rng);
    const std::string stranded = Settle();
    ASSERT_EQ(stranded, "");
  }
}

}  // namespace
}  // namespace ghost::fifo
