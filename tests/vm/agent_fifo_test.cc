// agent_fifo end to end, in both modes, on the real kernel: the binary is
// started as a user would start it, workloads are born inside its enclave
// (children of a process that moved itself in), and every workload must
// finish with valid output. Also: stopping (the enclave is destroyed, its
// threads finish under CFS), in-place upgrade under load (a second
// agent takes over; no thread is lost; the blackout is measured), and an
// enclave destroyed under the agent (by the watchdog or through ctl: the
// agent says why and exits 1 at once, and keeps nothing).
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <fstream>
#include <iostream>
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
#include "lib/abi/status_word_region.h"
#include "lib/uapi/linux/ghost.h"
#include "tests/vm/agent_fifo_process.h"
#include "tests/vm/agent_process_test.h"
#include "tests/vm/enclave_child.h"
#include "tests/vm/vm_helpers.h"
#include "tests/vm/wait_for.h"

namespace ghost {
namespace {

using ::ghost::testing::AgentFifoProcess;
using ::ghost::testing::AgentProcessTest;
using ::ghost::testing::EnclaveGoneWithin;
using ::ghost::testing::FinishInEnclave;
using ::ghost::testing::RunInEnclave;
using ::ghost::testing::StartInEnclave;
using ::ghost::testing::WaitFor;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr unsigned int kEnclaveId = 20;
constexpr char kCpus[] = "1-3";

// Progress of MixedThreads, in memory shared with the test.
struct Progress {
  std::atomic<int> started{0};
  std::atomic<int> finished{0};
};

Progress* SharedProgress() {
  void* p = mmap(nullptr, sizeof(Progress), PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  return new (p) Progress();
}

// `n` threads that each spin, yield and sleep `rounds` times, then exit.
// 0 when every one finished; 3 if one could not be created.
int MixedThreads(int n, int rounds, Progress* progress = nullptr) {
  std::vector<std::thread> threads;
  try {
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([rounds, progress] {
        if (progress) progress->started.fetch_add(1);
        volatile uint64_t x = 0;
        for (int r = 0; r < rounds; ++r) {
          for (int i = 0; i < 20000; ++i) x += i;
          sched_yield();
          usleep(200);
        }
        if (progress) progress->finished.fetch_add(1);
      });
    }
  } catch (...) {
    for (auto& t : threads) t.join();
    return 3;
  }
  for (auto& t : threads) t.join();
  return 0;
}

// Runs `command` through the shell in the enclave; its output goes to
// `*output`. Returns its exit code (-1: timed out).
int ShellInEnclave(const std::string& command, absl::Duration limit,
                   std::string* output) {
  const std::string out = "/tmp/agent_fifo_test.out";
  const std::string full = absl::StrCat(command, " > ", out, " 2>&1");
  const int code = RunInEnclave(Enclave(kEnclaveId, GHOSTFS_MOUNT_POINT),
                                limit, [&] {
                                  execl("/bin/sh", "sh", "-c", full.c_str(),
                                        nullptr);
                                  return 127;
                                });
  std::ifstream in(out);
  std::stringstream ss;
  ss << in.rdbuf();
  *output = ss.str();
  return code;
}

// The enclave's threads by status word flags, e.g. "12 words: 3 on cpu,
// 2 runnable, 7 blocked".
std::string WordCensus() {
  absl::StatusOr<StatusWordRegion> words = StatusWordRegion::Map(
      Enclave(kEnclaveId, GHOSTFS_MOUNT_POINT).dir());
  if (!words.ok()) return words.status().ToString();
  int n = 0, on_cpu = 0, runnable = 0, agents = 0;
  words->ForEachInUse([&](const StatusWord& w) {
    ++n;
    if (w.flags & GHOST_SW_F_AGENT) {
      ++agents;
    } else if (w.on_cpu()) {
      ++on_cpu;
    } else if (w.runnable()) {
      ++runnable;
    }
  });
  return absl::StrCat(n, " words: ", agents, " agents, ", on_cpu,
                      " on cpu, ", runnable, " runnable, ",
                      n - agents - on_cpu - runnable, " blocked");
}

// Each thread's word ("barrier/flags"), for a stuck run's log.
std::string WordDetails() {
  absl::StatusOr<StatusWordRegion> words = StatusWordRegion::Map(
      Enclave(kEnclaveId, GHOSTFS_MOUNT_POINT).dir());
  if (!words.ok()) return "";
  std::string out;
  words->ForEachInUse([&](const StatusWord& w) {
    if (!(w.flags & GHOST_SW_F_AGENT)) {
      absl::StrAppend(&out, " ", w.index, ":", w.barrier, "/0x",
                      absl::Hex(w.flags));
    }
  });
  return out;
}

// Waits for a StartInEnclave child; if it does not finish, logs what the
// kernel (status words) and the agent (its census, printed on SIGTERM)
// believe before cleaning up. True if it exited 0.
bool FinishOrDiagnose(pid_t child, AgentFifoProcess& agent,
                      absl::Duration limit, const Progress* progress) {
  int status = 0;
  if (ghost::testing::ReapWithin(child, limit, &status)) {
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  std::cout << "stuck: " << WordCensus() << ";" << WordDetails() << "; "
            << progress->started.load() << " started, "
            << progress->finished.load() << " finished\n";
  agent.Signal(SIGTERM);
  agent.WaitExit(absl::Seconds(10));
  std::cout << agent.output();
  (void)FinishInEnclave(child, absl::Seconds(1));
  return false;
}

class AgentFifoTest : public AgentProcessTest {
 protected:
  AgentFifoTest()
      : AgentProcessTest(kEnclaveId, kCpus, AgentFifoProcess::kBinary) {}

  // agent_fifo's modes, or a policy of ghost_agent (shinjuku).
  bool policy() const { return std::string(GetParam()) == "shinjuku"; }
  std::string mode() const {
    return policy() ? absl::StrCat("--policy=", GetParam())
                    : absl::StrCat("--mode=", GetParam());
  }
  const char* binary() const {
    return policy() ? "/ghost/bin/ghost_agent" : AgentFifoProcess::kBinary;
  }

  // Starts an agent that creates the enclave; waits until it schedules.
  std::unique_ptr<AgentFifoProcess> StartAgent(
      std::vector<std::string> extra = {}) {
    auto agent = Launch(mode(), binary(), extra);
    EXPECT_TRUE(agent->WaitForOutput("ready", absl::Seconds(30)))
        << agent->output();
    return agent;
  }

  // SIGTERM; the agent must exit 0 and destroy its enclave.
  void Stop(AgentFifoProcess& agent) {
    ExpectCleanExit(agent);
    EXPECT_THAT(agent.output(), HasSubstr("destroyed"));
    EXPECT_NE(access(absl::StrCat(GHOSTFS_MOUNT_POINT, "/enclave_", kEnclaveId)
                         .c_str(),
                     F_OK),
              0)
        << "the enclave is gone";
  }

  // An agent on an enclave the test made (so on SIGTERM it would keep
  // it), scheduling threads that keep asking for CPUs.
  std::unique_ptr<AgentFifoProcess> StartAgentOnMadeEnclave(pid_t* child) {
    absl::StatusOr<Enclave> e = Enclave::Create(kEnclaveId);
    EXPECT_TRUE(e.ok()) << e.status();
    if (e.ok()) EXPECT_TRUE(e->SetCpus(kCpus).ok());
    auto agent = std::make_unique<AgentFifoProcess>(
        std::vector<std::string>{mode(),
                                 absl::StrCat("--enclave=", kEnclaveId)},
        binary());
    EXPECT_TRUE(agent->WaitForOutput("ready", absl::Seconds(30)))
        << agent->output();
    const Enclave enclave(kEnclaveId, GHOSTFS_MOUNT_POINT);
    *child = StartInEnclave(enclave, [] { return MixedThreads(8, 500); });
    // Destroying it before the child is in would test nothing.
    const absl::Time end = absl::Now() + absl::Seconds(10);
    auto child_in = [&] {
      absl::StatusOr<std::vector<pid_t>> tids = enclave.Tasks();
      return tids.ok() &&
             std::find(tids->begin(), tids->end(), *child) != tids->end();
    };
    while (!child_in() && absl::Now() < end) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    EXPECT_TRUE(child_in()) << "the workload did not enter the enclave";
    return agent;
  }

  // Stops the agent (SIGSTOP) so that the watchdog (200 ms) fires.
  void StarveUntilTheWatchdogFires(AgentFifoProcess& agent) {
    ASSERT_TRUE(SetWatchdog("200").ok());
    agent.Signal(SIGSTOP);
    ASSERT_TRUE(EnclaveGoneWithin(kEnclaveId, absl::Seconds(20)))
        << "the watchdog did not fire";
  }

  // The agent exited 1 within kPromptly of `since`, saying why; the
  // threads finish under CFS.
  static constexpr absl::Duration kPromptly = absl::Seconds(3);
  void ExpectGoneReported(AgentFifoProcess& agent, pid_t child,
                          absl::Time since, const std::string& reason) {
    EXPECT_EQ(agent.WaitExit(kPromptly), 1) << agent.output();
    EXPECT_LT(absl::Now() - since, kPromptly + absl::Milliseconds(100));
    EXPECT_THAT(agent.output(),
                HasSubstr(absl::StrCat("enclave ", kEnclaveId,
                                       " was destroyed by the kernel: ",
                                       reason)));
    EXPECT_THAT(agent.output(), HasSubstr("its threads are back in CFS"));
    EXPECT_THAT(agent.output(), Not(HasSubstr("kept")));
    EXPECT_EQ(FinishInEnclave(child, absl::Seconds(60)), 0)
        << "the threads finished under CFS";
  }

  void RunThreads(int n, int rounds, absl::Duration limit) {
    std::unique_ptr<AgentFifoProcess> agent = StartAgent();
    Progress* progress = SharedProgress();
    const absl::Time start = absl::Now();
    const int code =
        RunInEnclave(Enclave(kEnclaveId, GHOSTFS_MOUNT_POINT), limit,
                     [&] { return MixedThreads(n, rounds, progress); });
    EXPECT_EQ(code, 0) << n << " threads did not all finish under "
                       << GetParam() << " (" << progress->started.load()
                       << " started, " << progress->finished.load()
                       << " finished):\n"
                       << agent->output();
    std::cout << n << " threads (" << GetParam() << "): "
              << absl::ToDoubleSeconds(absl::Now() - start) << " s\n";
    Stop(*agent);
    munmap(progress, sizeof(Progress));
  }
};

TEST_P(AgentFifoTest, OneThreadFinishes) {
  RunThreads(1, 5, absl::Seconds(20));
}

TEST_P(AgentFifoTest, AHundredThreadsFinish) {
  RunThreads(100, 3, absl::Seconds(40));
}

// The bound only catches a hang: this takes 20-50 s under TCG with KASAN,
// more when other VMs share the host's two cores.
TEST_P(AgentFifoTest, AThousandThreadsFinish) {
  RunThreads(1000, 1, absl::Seconds(120));
}

// More threads than CPUs, all wanting to run, under a short watchdog:
// the policy serves each often enough that none waits a second.
TEST_P(AgentFifoTest, OversubscribedThreadsNeverTripAShortWatchdog) {
  std::unique_ptr<AgentFifoProcess> agent = StartAgent();
  ASSERT_TRUE(SetWatchdog("1000").ok());
  Progress* progress = SharedProgress();
  const int code =
      RunInEnclave(Enclave(kEnclaveId, GHOSTFS_MOUNT_POINT), absl::Seconds(60),
                   [&] { return MixedThreads(60, 20, progress); });
  EXPECT_EQ(code, 0) << progress->finished.load() << " of 60 finished\n"
                     << agent->output();
  EXPECT_THAT(agent->output(), Not(HasSubstr("watchdog")));
  Stop(*agent);
  munmap(progress, sizeof(Progress));
}

TEST_P(AgentFifoTest, StressNgFinishesWithValidOutput) {
  std::unique_ptr<AgentFifoProcess> agent = StartAgent();
  std::string out;
  const int code = ShellInEnclave(
      "stress-ng --cpu 2 --yield 2 --switch 2 -t 5s --metrics-brief",
      absl::Seconds(45), &out);
  EXPECT_EQ(code, 0) << out << agent->output();
  EXPECT_THAT(out, HasSubstr("successful run completed"));
  Stop(*agent);
}

TEST_P(AgentFifoTest, HackbenchFinishesWithValidOutput) {
  std::unique_ptr<AgentFifoProcess> agent = StartAgent();
  std::string out;
  const int code = ShellInEnclave("hackbench -g 2 -l 50", absl::Seconds(45),
                                  &out);
  EXPECT_EQ(code, 0) << out << agent->output();
  EXPECT_THAT(out, HasSubstr("Time:"));
  Stop(*agent);
}

// The share of CPU a CFS thread pinned to `cpu` gets while it spins for
// `wall`: its thread CPU time over the wall time.
double CfsShareOn(int cpu, absl::Duration wall) {
  double share = 0;
  std::thread hog([&] {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof(set), &set);
    timespec t0, t1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    const absl::Time end = absl::Now() + wall;
    while (absl::Now() < end) {
    }
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
    const double used = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    share = used / absl::ToDoubleSeconds(wall);
  });
  hog.join();
  return share;
}

// Ghost threads are below CFS, and an agent gives its CPU up when other
// work wants it (the centralized agent hands its role to another CPU on
// CPU_WANTED): a CFS thread on an enclave CPU keeps most of that CPU
// while the enclave is busy. CPU 1 is the centralized agent's first home.
TEST_P(AgentFifoTest, ACfsThreadOnAnEnclaveCpuKeepsItsCpuUnderLoad) {
  std::unique_ptr<AgentFifoProcess> agent = StartAgent();
  Progress* progress = SharedProgress();
  const pid_t child =
      StartInEnclave(Enclave(kEnclaveId, GHOSTFS_MOUNT_POINT),
                     [progress] { return MixedThreads(30, 300, progress); });
  ASSERT_TRUE(WaitFor([&] { return progress->started.load() == 30; }))
      << "the workload's threads did not all start" << agent->output();
  const double share = CfsShareOn(1, absl::Seconds(3));
  std::cout << "CFS share of CPU 1 under a busy " << GetParam()
            << " enclave: " << share << "\n";
  // TCG and the host take some; a starving agent would leave ~0.
  EXPECT_GT(share, 0.5) << agent->output();
  Stop(*agent);
  EXPECT_EQ(FinishInEnclave(child, absl::Seconds(60)), 0);
  munmap(progress, sizeof(Progress));
}

TEST_P(AgentFifoTest, StoppingDestroysTheEnclaveAndThreadsFinishUnderCfs) {
  std::unique_ptr<AgentFifoProcess> agent = StartAgent();
  Progress* progress = SharedProgress();
  const pid_t child = StartInEnclave(
      Enclave(kEnclaveId, GHOSTFS_MOUNT_POINT),
      [progress] { return MixedThreads(10, 400, progress); });  // seconds
  // Stop while the threads are in the enclave and working.
  ASSERT_TRUE(WaitFor([&] { return progress->started.load() == 10; }))
      << agent->output();
  Stop(*agent);
  EXPECT_EQ(FinishInEnclave(child, absl::Seconds(40)), 0)
      << "the threads went back to CFS and finished";
  EXPECT_EQ(progress->finished.load(), 10);
  munmap(progress, sizeof(Progress));
}

TEST_P(AgentFifoTest, KeepLeavesTheThreadsForASuccessor) {
  std::unique_ptr<AgentFifoProcess> first = StartAgent({"--on_exit=keep"});
  Progress* progress = SharedProgress();
  const pid_t child =
      StartInEnclave(Enclave(kEnclaveId, GHOSTFS_MOUNT_POINT),
                     [progress] { return MixedThreads(20, 40, progress); });
  ASSERT_TRUE(WaitFor([&] { return progress->started.load() == 20; }))
      << first->output();
  first->Signal(SIGTERM);
  ASSERT_EQ(first->WaitExit(absl::Seconds(20)), 0) << first->output();
  EXPECT_THAT(first->output(), HasSubstr("kept"));
  // No agent now: the kernel runs the threads itself (bypass) until the
  // successor attaches and finds them.
  AgentFifoProcess second({mode(), absl::StrCat("--enclave=", kEnclaveId),
                           "--on_exit=destroy"},
                          binary());
  ASSERT_TRUE(second.WaitForOutput("ready", absl::Seconds(30)))
      << second.output();
  const bool finished =
      FinishOrDiagnose(child, second, absl::Seconds(40), progress);
  EXPECT_TRUE(finished) << "every thread finished under the successor";
  if (finished) Stop(second);
  munmap(progress, sizeof(Progress));
}

TEST_P(AgentFifoTest, ADestroyThroughCtlEndsTheAgentWithItsReason) {
  pid_t child;
  std::unique_ptr<AgentFifoProcess> agent = StartAgentOnMadeEnclave(&child);
  const absl::Time destroyed = absl::Now();
  ASSERT_TRUE(WriteGhostfsFile(absl::StrCat(GHOSTFS_MOUNT_POINT, "/ctl"),
                               absl::StrCat("destroy ", kEnclaveId))
                  .ok());
  ExpectGoneReported(*agent, child, destroyed,
                     "destroyed through /sys/fs/ghost/ctl");
}

TEST_P(AgentFifoTest, TheWatchdogEndsTheAgentWithItsReason) {
  pid_t child;
  std::unique_ptr<AgentFifoProcess> agent = StartAgentOnMadeEnclave(&child);
  StarveUntilTheWatchdogFires(*agent);
  const absl::Time resumed = absl::Now();
  agent->Signal(SIGCONT);
  ExpectGoneReported(*agent, child, resumed, "watchdog: thread ");
}

TEST_P(AgentFifoTest, StoppedAfterTheWatchdogItKeepsNothing) {
  pid_t child;
  std::unique_ptr<AgentFifoProcess> agent = StartAgentOnMadeEnclave(&child);
  StarveUntilTheWatchdogFires(*agent);
  const absl::Time resumed = absl::Now();
  agent->Signal(SIGTERM);  // pending for the main thread's sigwait
  agent->Signal(SIGCONT);
  ExpectGoneReported(*agent, child, resumed, "watchdog: thread ");
}

TEST_P(AgentFifoTest, AnUpgradeUnderLoadLosesNoThread) {
  std::unique_ptr<AgentFifoProcess> old_agent = StartAgent();
  // The probe: how long a thread that sleeps 1 ms at a time waits at most
  // for a CPU (its biggest gap beyond the sleep).
  auto* max_gap_ns = static_cast<std::atomic<int64_t>*>(
      mmap(nullptr, sizeof(std::atomic<int64_t>), PROT_READ | PROT_WRITE,
           MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  new (max_gap_ns) std::atomic<int64_t>(0);
  Progress* progress = SharedProgress();
  const pid_t child = StartInEnclave(
      Enclave(kEnclaveId, GHOSTFS_MOUNT_POINT), [max_gap_ns, progress] {
        std::atomic<bool> done{false};
        std::thread probe([&] {
          while (!done.load()) {
            const absl::Time before = absl::Now();
            usleep(1000);
            const int64_t gap = absl::ToInt64Nanoseconds(
                absl::Now() - before - absl::Milliseconds(1));
            if (gap > max_gap_ns->load()) max_gap_ns->store(gap);
          }
        });
        const int code = MixedThreads(50, 60, progress);
        done.store(true);
        probe.join();
        return code;
      });
  // The upgrade happens under load: every worker has started.
  ASSERT_TRUE(WaitFor([&] { return progress->started.load() == 50; }))
      << old_agent->output();

  AgentFifoProcess new_agent({mode(), absl::StrCat("--enclave=", kEnclaveId),
                              "--on_exit=destroy"},
                             binary());
  EXPECT_TRUE(new_agent.WaitForOutput("ready", absl::Seconds(30)))
      << new_agent.output();
  EXPECT_THAT(new_agent.output(), HasSubstr("took over from pid"));
  EXPECT_EQ(old_agent->WaitExit(absl::Seconds(20)), 0) << old_agent->output();
  EXPECT_THAT(old_agent->output(), HasSubstr("handed over"));
  EXPECT_THAT(old_agent->output(), HasSubstr("kept"));

  const absl::Duration limit = absl::Seconds(45);
  const absl::Time end = absl::Now() + limit;
  int status = 0;
  const bool finished = ghost::testing::ReapWithin(child, limit, &status);
  if (!finished) {
    // Say what the kernel and the agent see before cleaning up.
    std::cout << "upgrade (" << GetParam() << "): stuck: " << WordCensus()
              << "; " << progress->started.load() << " started, "
              << progress->finished.load() << " finished\n";
    new_agent.Signal(SIGTERM);
    new_agent.WaitExit(absl::Seconds(10));
    (void)FinishInEnclave(child, absl::Seconds(1));
  }
  (void)end;
  EXPECT_TRUE(finished && WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "every thread finished under the new agent\n"
      << new_agent.output();
  if (!finished) return;
  new_agent.WaitForOutput("blackout", absl::Seconds(1));
  std::cout << "upgrade (" << GetParam() << "): " << new_agent.output()
            << "upgrade (" << GetParam() << "): probe's longest wait "
            << max_gap_ns->load() / 1e6 << " ms\n";
  RecordProperty("probe_max_gap_ms",
                 absl::StrCat(max_gap_ns->load() / 1e6));
  Stop(new_agent);
  munmap(max_gap_ns, sizeof(std::atomic<int64_t>));
  munmap(progress, sizeof(Progress));
}

INSTANTIATE_TEST_SUITE_P(Modes, AgentFifoTest,
                         ::testing::Values("percpu", "centralized",
                                           "shinjuku"),
                         [](const auto& info) {
                           return std::string(info.param);
                         });

}  // namespace
}  // namespace ghost
