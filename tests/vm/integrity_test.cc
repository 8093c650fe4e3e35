// Integrity with the rest of the kernel (kernel rule K18): priority
// inheritance of a ghost thread, stop signals, and affinity churn while an
// agent latches the thread.
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <optional>
#include <thread>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/abi/enclave.h"
#include "lib/abi/ghost_run.h"
#include "lib/abi/ghostfs_mount.h"
#include "lib/uapi/linux/ghost.h"
#include "tests/vm/fifo_test_agent.h"
#include "tests/vm/vm_helpers.h"
#include "tests/vm/wait_for.h"

namespace ghost {
namespace {

using ::ghost::testing::DestroyAllEnclaves;
using ::ghost::testing::FifoTestAgent;
using ::ghost::testing::IsRunnable;
using ::ghost::testing::MoveToCfs;
using ::ghost::testing::ProcState;
using ::ghost::testing::WaitFor;
using ::ghost::testing::WaitForWord;
using ::ghost::testing::WaitUntilBlocked;
using ::testing::IsEmpty;

constexpr int kAgentCpu = 1;

cpu_set_t CpuSet(std::initializer_list<int> cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int cpu : cpus) CPU_SET(cpu, &set);
  return set;
}

class IntegrityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(EnsureGhostfsMounted(GHOSTFS_MOUNT_POINT).ok());
    DestroyAllEnclaves();
    absl::StatusOr<Enclave> e = Enclave::Create(17);
    ASSERT_TRUE(e.ok()) << e.status();
    enclave_.emplace(*e);
    ASSERT_TRUE(enclave_->SetCpus("1-2").ok());
  }
  void TearDown() override { DestroyAllEnclaves(); }

  std::optional<Enclave> enclave_;
};

TEST_F(IntegrityTest, AnRtWaiterBoostsAStarvedGhostHolderOfAPiMutex) {
  // No agent: the ghost thread is runnable but never runs (K2), except
  // that priority inheritance from an RT waiter must run it in RT.
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setprotocol(&attr, PTHREAD_PRIO_INHERIT);
  pthread_mutex_t mu;
  pthread_mutex_init(&mu, &attr);
  std::atomic<pid_t> holder_tid{0};
  std::atomic<int> gate{0};
  std::atomic<bool> released{false};
  std::thread holder([&] {
    holder_tid.store(gettid());
    pthread_mutex_lock(&mu);
    while (gate.load() == 0) gate.wait(0);  // moved in here, asleep
    pthread_mutex_unlock(&mu);
    released.store(true);
  });
  ASSERT_TRUE(WaitFor([&] { return holder_tid.load() != 0; }));
  ASSERT_TRUE(WaitUntilBlocked(holder_tid.load()));  // at the gate
  absl::StatusOr<uint64_t> gtid = GetGtid(holder_tid.load());
  ASSERT_TRUE(gtid.ok()) << gtid.status();
  ASSERT_TRUE(enclave_->AddTask(holder_tid.load()).ok());
  gate.store(1);
  gate.notify_all();  // runnable now, and nobody runs it
  ASSERT_TRUE(WaitForWord(enclave_->dir(), *gtid, IsRunnable));
  EXPECT_FALSE(released.load()) << "no agent: the holder waits";

  std::atomic<bool> waiter_got_it{false};
  std::thread waiter([&] {
    struct sched_param param = {.sched_priority = 10};
    if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &param) != 0) return;
    pthread_mutex_lock(&mu);  // boosts the holder
    waiter_got_it.store(true);
    pthread_mutex_unlock(&mu);
  });
  waiter.join();
  EXPECT_TRUE(waiter_got_it.load())
      << "the boosted holder ran in RT up to its unlock";
  // Unboosted it is a ghost thread again: it either kept its CPU (K2) and
  // finished, or left it and waits for an agent.
  const int policy = sched_getscheduler(holder_tid.load());
  if (!released.load() || policy >= 0) {
    EXPECT_EQ(policy, SCHED_GHOST) << "unboosted, it is a ghost thread again";
  }
  // No agent here: take it out so that it can finish.
  MoveToCfs(holder_tid.load());
  holder.join();
  EXPECT_TRUE(released.load());
  pthread_mutex_destroy(&mu);
}

TEST_F(IntegrityTest, SigstopAndSigcontPauseAndResumeAGhostThread) {
  absl::StatusOr<std::unique_ptr<FifoTestAgent>> agent =
      FifoTestAgent::Start(*enclave_, kAgentCpu);
  ASSERT_TRUE(agent.ok()) << agent.status();
  auto* progress = static_cast<std::atomic<uint64_t>*>(
      mmap(nullptr, sizeof(std::atomic<uint64_t>), PROT_READ | PROT_WRITE,
           MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  new (progress) std::atomic<uint64_t>(0);
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  const pid_t child = fork();
  if (child == 0) {
    char c;
    if (read(go[0], &c, 1) != 1) _exit(1);
    for (;;) progress->fetch_add(1);
  }
  ASSERT_TRUE(WaitUntilBlocked(child));  // in its read of `go`
  ASSERT_TRUE(enclave_->AddTask(child).ok());
  ASSERT_EQ(write(go[1], "x", 1), 1);
  EXPECT_TRUE(WaitFor([&] { return progress->load() > 0; }))
      << "the agent runs it";
  kill(child, SIGSTOP);
  // Stopped, and off its CPU: it cannot run until SIGCONT.
  EXPECT_TRUE(WaitFor([&] { return ProcState(child) == 'T'; }));
  EXPECT_TRUE(WaitUntilBlocked(child)) << "stopped";
  const uint64_t stopped_at = progress->load();
  EXPECT_EQ(ProcState(child), 'T');
  kill(child, SIGCONT);
  EXPECT_TRUE(WaitFor([&] { return progress->load() > stopped_at; }))
      << "running again after SIGCONT";
  kill(child, SIGKILL);
  int status;
  EXPECT_EQ(waitpid(child, &status, 0), child) << "a ghost thread dies";
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_THAT((*agent)->problems(), IsEmpty());
  munmap(progress, sizeof(*progress));
}

TEST_F(IntegrityTest, AffinityChurnWhileLatchedLosesNothing) {
  absl::StatusOr<std::unique_ptr<FifoTestAgent>> agent =
      FifoTestAgent::Start(*enclave_, kAgentCpu);
  ASSERT_TRUE(agent.ok()) << agent.status();
  std::atomic<pid_t> tid{0};
  std::atomic<int> gate{0};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> progress{0};
  std::thread worker([&] {
    tid.store(gettid());
    while (gate.load() == 0) gate.wait(0);
    while (!stop.load()) {
      progress.fetch_add(1);
      if (progress.load() % 4096 == 0) sched_yield();
    }
  });
  ASSERT_TRUE(WaitFor([&] { return tid.load() != 0; }));
  ASSERT_TRUE(WaitUntilBlocked(tid.load()));  // at the gate
  ASSERT_TRUE(enclave_->AddTask(tid.load()).ok());
  gate.store(1);
  gate.notify_all();
  // Allowed CPUs: the agent's, the other enclave CPU, both, none of the
  // enclave's; again and again while the agent latches it.
  const cpu_set_t masks[] = {CpuSet({1}), CpuSet({2}), CpuSet({1, 2}),
                             CpuSet({3}), CpuSet({0, 1, 2, 3})};
  const absl::Time end = absl::Now() + absl::Seconds(2);
  for (int i = 0; absl::Now() < end; ++i) {
    const cpu_set_t& m = masks[i % 5];
    ASSERT_EQ(sched_setaffinity(tid.load(), sizeof(m), &m), 0);
    absl::SleepFor(absl::Milliseconds(5));  // the churn's pace (load)
  }
  const cpu_set_t all = CpuSet({0, 1, 2, 3});
  ASSERT_EQ(sched_setaffinity(tid.load(), sizeof(all), &all), 0);
  const uint64_t before = progress.load();
  EXPECT_TRUE(WaitFor([&] { return progress.load() > before; }))
      << "the agent runs it again";
  stop.store(true);
  worker.join();
  EXPECT_THAT((*agent)->problems(), IsEmpty());
  FifoTestAgent::Counters c = (*agent)->counters();
  EXPECT_GT(c.failures["CPU_NOT_ALLOWED"] + c.commits, 0u);
}

}  // namespace
}  // namespace ghost
