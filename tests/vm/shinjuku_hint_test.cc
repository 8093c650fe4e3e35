// Shinjuku's hints on the real kernel: an application hands its hint
// region to ghost_agent --policy=shinjuku over the control socket; on the
// enclave's two CPUs (one of them the global agent's, lent to a thread
// while every other CPU is busy), two class-0 threads run before a class-3
// one, a thread marked idle in its hint loses its CPU, and gets it back
// when its hint says it has work again.
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <iostream>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "lib/abi/enclave.h"
#include "lib/abi/ghost_run.h"
#include "lib/abi/ghostfs_mount.h"
#include "lib/hints/hint_registration.h"
#include "lib/hints/hint_writer.h"
#include "lib/runtime/control_client.h"
#include "lib/runtime/control_protocol.h"
#include "lib/uapi/linux/ghost.h"
#include "tests/vm/agent_fifo_process.h"
#include "tests/vm/vm_helpers.h"
#include "tests/vm/wait_for.h"

namespace ghost {
namespace {

using ::ghost::testing::AgentFifoProcess;
using ::ghost::testing::DestroyAllEnclaves;
using ::ghost::testing::IsBlocked;
using ::ghost::testing::WaitFor;

constexpr unsigned int kEnclaveId = 31;
// CPU 1 holds the global agent, and is lent to a thread when CPU 2 is busy
// and others wait: the threads share two CPUs.
constexpr char kCpus[] = "1-2";
// Work a spinning thread does between checks: enough that the other one
// had many rounds of the agent to run, if the policy let it.
constexpr uint64_t kLots = 2000000;

// A thread that waits on a pipe (so it enters ghost blocked), then counts.
struct Worker {
  std::atomic<uint64_t> count{0};
  std::atomic<pid_t> tid{0};
  int pipe[2] = {-1, -1};
  std::thread thread;

  void Start(const std::atomic<bool>& stop) {
    ASSERT_EQ(::pipe(pipe), 0);
    thread = std::thread([this, &stop] {
      tid.store(static_cast<pid_t>(syscall(SYS_gettid)));
      char c;
      (void)!read(pipe[0], &c, 1);
      while (!stop.load(std::memory_order_relaxed)) {
        count.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  void Go() { (void)!write(pipe[1], "g", 1); }
  ~Worker() {
    if (thread.joinable()) thread.join();
    close(pipe[0]);
    close(pipe[1]);
  }
};

uint64_t AgentCounter(const char* name) {
  absl::StatusOr<AgentReport> r = AskAgent(
      ControlSocketPath(kControlDir, kEnclaveId), ControlRequest::kStatus);
  return r.ok() ? r->counter(name) : 0;
}

class ShinjukuHintTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(EnsureGhostfsMounted(GHOSTFS_MOUNT_POINT).ok());
    DestroyAllEnclaves();
  }
  void TearDown() override { DestroyAllEnclaves(); }
};

// The scenario runs in a child: its two workers are ghost threads, and an
// agent must never share a process with the threads it schedules (nor
// should the test's own process). Returns 0, or the step that failed.
int Scenario() {
  absl::StatusOr<std::unique_ptr<HintWriter>> w = HintWriter::Create(8);
  if (!w.ok()) return std::cout << w.status() << "\n", 10;
  if (absl::Status s = RegisterHints(**w, kEnclaveId); !s.ok()) {
    return std::cout << s << "\n", 11;
  }
  std::atomic<bool> stop{false};
  // F, class 0, keeps one of the two CPUs busy throughout.
  Worker a, b, f;
  // On every return: the workers stop and are let go (before they join).
  struct Release {
    std::atomic<bool>& stop;
    Worker& a;
    Worker& b;
    Worker& f;
    ~Release() {
      stop.store(true);
      a.Go();
      b.Go();
      f.Go();
    }
  } release{stop, a, b, f};
  a.Start(stop);
  b.Start(stop);
  f.Start(stop);
  if (!WaitFor([&] {
        return a.tid.load() != 0 && b.tid.load() != 0 && f.tid.load() != 0 &&
               IsBlocked(a.tid.load()) && IsBlocked(b.tid.load()) &&
               IsBlocked(f.tid.load());
      })) {
    return 12;
  }
  absl::StatusOr<uint64_t> ga = GetGtid(a.tid.load());
  absl::StatusOr<uint64_t> gb = GetGtid(b.tid.load());
  absl::StatusOr<uint64_t> gf = GetGtid(f.tid.load());
  if (!ga.ok() || !gb.ok() || !gf.ok()) return 13;
  absl::StatusOr<uint32_t> ia = (*w)->Claim(*ga, {.qos = 0});
  absl::StatusOr<uint32_t> ib = (*w)->Claim(*gb, {.qos = 3});
  absl::StatusOr<uint32_t> iff = (*w)->Claim(*gf, {.qos = 0});
  if (!ia.ok() || !ib.ok() || !iff.ok()) return 14;
  Enclave e(kEnclaveId, GHOSTFS_MOUNT_POINT);
  if (!e.AddTask(a.tid.load()).ok() || !e.AddTask(b.tid.load()).ok() ||
      !e.AddTask(f.tid.load()).ok()) {
    return 15;
  }
  int failed = 0;
  auto step = [&](bool ok, int code, const char* what) {
    if (!ok && failed == 0) {
      failed = code;
      std::cout << "step " << code << " failed: " << what << " (a "
                << a.count.load() << ", b " << b.count.load() << ")\n";
    }
    return ok;
  };
  // Every hint read before they wake: then none may run out of order.
  step(WaitFor([] { return AgentCounter("hints") >= 3; }), 20,
       "the agent read the three hints");
  f.Go();
  a.Go();
  b.Go();
  // 1. Class 0 first: A and F run, B (class 3) waits for a CPU.
  step(WaitFor(
           [&] { return a.count.load() >= kLots && f.count.load() >= kLots; }),
       21, "A and F run");
  step(b.count.load() == 0, 22, "B ran while class-0 A and F wanted both CPUs");
  // 2. A says it is idle: the agent takes its CPU, and B gets it.
  (*w)->SetIdle(*ia, true);
  step(WaitFor([&] { return b.count.load() > 0; }), 23,
       "B runs once A is idle");
  const uint64_t a_off = a.count.load();
  const uint64_t b_now = b.count.load();
  step(WaitFor([&] { return b.count.load() >= b_now + kLots; }), 24,
       "B keeps running");
  step(a.count.load() == a_off, 25, "A ran while idle in its hint");
  // 3. Work for A: it takes the CPU back from the worse class at once.
  (*w)->SetIdle(*ia, false);
  step(WaitFor([&] { return a.count.load() > a_off; }), 26,
       "A runs again when its hint says runnable");
  const uint64_t b_off = b.count.load();
  const uint64_t a_now = a.count.load();
  step(WaitFor([&] { return a.count.load() >= a_now + kLots; }), 27,
       "A keeps running");
  step(b.count.load() == b_off, 28,
       "B ran while class-0 A and F wanted both CPUs");
  // A parked from its CPU or from the queue: with F and A taking turns on
  // the lent CPU, A may be waiting when its hint turns idle.
  step(AgentCounter("parks") >= 1, 29, "counted the idle edge");
  // No check of class_preemptions: when B held the lent CPU, A got it by
  // the agent waking there and lending it to the better class, not by a
  // preemption of ours (steps 26-28 check the order; the host tests the
  // counter).
  return failed;
}

TEST_F(ShinjukuHintTest, IdleLosesTheCpuAndTheBetterClassRunsFirst) {
  AgentFifoProcess agent({"--policy=shinjuku", absl::StrCat("--cpus=", kCpus),
                          absl::StrCat("--enclave=", kEnclaveId)},
                         "/ghost/bin/ghost_agent");
  ASSERT_TRUE(agent.WaitForOutput("ready", absl::Seconds(30)))
      << agent.output();
  const pid_t child = fork();
  if (child == 0) _exit(Scenario());
  int status = 0;
  ASSERT_TRUE(ghost::testing::ReapWithin(child, absl::Seconds(90), &status))
      << agent.output();
  EXPECT_TRUE(WIFEXITED(status)) << agent.output();
  EXPECT_EQ(WEXITSTATUS(status), 0) << agent.output();
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.WaitExit(absl::Seconds(20)), 0) << agent.output();
}

TEST_F(ShinjukuHintTest, AMalformedRegionIsRefusedWithAReason) {
  AgentFifoProcess agent({"--policy=shinjuku", absl::StrCat("--cpus=", kCpus),
                          absl::StrCat("--enclave=", kEnclaveId)},
                         "/ghost/bin/ghost_agent");
  ASSERT_TRUE(agent.WaitForOutput("ready", absl::Seconds(30)))
      << agent.output();
  absl::StatusOr<std::unique_ptr<HintWriter>> w = HintWriter::Create(4);
  ASSERT_TRUE(w.ok()) << w.status();
  static_cast<ghost_hint_header*>((*w)->data())->version = 77;
  absl::Status s = RegisterHints(**w, kEnclaveId);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("version 77"), std::string::npos) << s;
  EXPECT_EQ(AgentCounter("hint_regions"), 0u);
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.WaitExit(absl::Seconds(20)), 0) << agent.output();
}

}  // namespace
}  // namespace ghost
