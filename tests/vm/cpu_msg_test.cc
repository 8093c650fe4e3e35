// What agents hear about their CPUs (kernel rules K3, K4, K7): CPU_BUSY and
// CPU_AVAILABLE when another class takes and returns an enclave CPU, the
// queue a CPU's messages go to, CPU_TICK on request, the agent's
// CPU_WANTED flag, and the pollable agent_online file.
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/abi/enclave.h"
#include "lib/abi/fd.h"
#include "lib/abi/ghost_run.h"
#include "lib/abi/ghostfs_mount.h"
#include "lib/abi/message_queue.h"
#include "lib/abi/status_word_region.h"
#include "lib/uapi/linux/ghost.h"
#include "tests/vm/fifo_test_agent.h"
#include "tests/vm/vm_helpers.h"
#include "tests/vm/wait_for.h"

namespace ghost {
namespace {

using ::ghost::testing::DestroyAllEnclaves;
using ::ghost::testing::ErrnoCode;
using ::ghost::testing::FifoTestAgent;
using ::ghost::testing::MoveToCfs;
using ::ghost::testing::PinTo;
using ::ghost::testing::WaitFor;
using ::ghost::testing::WaitUntilBlocked;
using ::testing::IsEmpty;

constexpr int kCpu = 1;

// Spins on `cpu` under CFS for `how_long` (load), in a thread of its own,
// and returns once that thread is off the CPU:
// CPU messages are made at the context switch (K7), so every message its
// run causes exists by then. (The CPU may switch to another busy task
// first: its CPU_AVAILABLE can come later.) The thread ends on CPU 0.
void HogCpu(int cpu, absl::Duration how_long) {
  std::atomic<pid_t> tid{0};
  std::atomic<int> release{0};
  std::thread hog([&] {
    PinTo(cpu);
    const absl::Time end = absl::Now() + how_long;
    while (absl::Now() < end) {
    }
    tid.store(gettid());
    while (release.load() == 0) release.wait(0);
  });
  EXPECT_TRUE(WaitFor([&] { return tid.load() != 0; }));
  EXPECT_TRUE(WaitUntilBlocked(tid.load())) << "the hog left CPU " << cpu;
  cpu_set_t zero;
  CPU_ZERO(&zero);
  CPU_SET(0, &zero);
  sched_setaffinity(tid.load(), sizeof(zero), &zero);
  release.store(1);
  release.notify_all();
  hog.join();
}

// Every message in `queue`, oldest first.
std::vector<ghost_msg> PopAll(MessageQueue& queue) {
  std::vector<ghost_msg> out;
  ghost_msg msg;
  while (queue.ring().Pop(&msg)) out.push_back(msg);
  return out;
}

// The CPU messages of `cpu` in `queue`, oldest first (others are dropped).
std::vector<ghost_msg> CpuMessages(MessageQueue& queue, int cpu) {
  std::vector<ghost_msg> out;
  for (const ghost_msg& m : PopAll(queue)) {
    if (IsCpuMessage(m) && m.cpu == cpu) out.push_back(m);
  }
  return out;
}

// Adds the CPU messages of `cpu` in `queue` to `msgs` until they are at
// least `n` and the last is CPU_AVAILABLE (the CPU is free again).
bool CollectUntilAvailable(MessageQueue& queue, int cpu, size_t n,
                           std::vector<ghost_msg>& msgs) {
  return WaitFor([&] {
    for (const ghost_msg& m : CpuMessages(queue, cpu)) msgs.push_back(m);
    return msgs.size() >= n && msgs.back().type == GHOST_MSG_CPU_AVAILABLE;
  });
}

class CpuMsgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(EnsureGhostfsMounted(GHOSTFS_MOUNT_POINT).ok());
    DestroyAllEnclaves();
    absl::StatusOr<Enclave> e = Enclave::Create(11);
    ASSERT_TRUE(e.ok()) << e.status();
    enclave_.emplace(*e);
    ASSERT_TRUE(enclave_->SetCpus("1-2").ok());
    absl::StatusOr<Fd> dir = OpenEnclaveDir(enclave_->dir());
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::move(*dir);
  }
  void TearDown() override { DestroyAllEnclaves(); }

  std::unique_ptr<MessageQueue> NewQueue(MessageQueue::Kind kind) {
    absl::StatusOr<MessageQueue> q =
        MessageQueue::Create(dir_.get(), 1024, kind);
    EXPECT_TRUE(q.ok()) << q.status();
    return q.ok() ? std::make_unique<MessageQueue>(std::move(*q)) : nullptr;
  }

  std::string File(const std::string& name) {
    return absl::StrCat(enclave_->dir(), "/", name);
  }

  std::optional<Enclave> enclave_;
  Fd dir_;
};

TEST_F(CpuMsgTest, ACfsTaskOnAnEnclaveCpuIsBusyThenAvailable) {
  std::unique_ptr<MessageQueue> queue = NewQueue(MessageQueue::kPlain);
  ASSERT_NE(queue, nullptr);
  ASSERT_TRUE(queue->AssociateCpu(kCpu).ok());
  HogCpu(kCpu, absl::Milliseconds(100));
  std::vector<ghost_msg> msgs;
  EXPECT_TRUE(CollectUntilAvailable(*queue, kCpu, 2, msgs));
  // A kernel thread may have held the CPU when the queue was made.
  if (!msgs.empty() && msgs.front().type == GHOST_MSG_CPU_AVAILABLE) {
    msgs.erase(msgs.begin());
  }
  ASSERT_GE(msgs.size(), 2u) << "at least the hog's BUSY and AVAILABLE";
  // Strictly alternating.
  for (size_t i = 0; i < msgs.size(); ++i) {
    EXPECT_EQ(msgs[i].type, i % 2 == 0 ? GHOST_MSG_CPU_BUSY
                                       : GHOST_MSG_CPU_AVAILABLE)
        << "message " << i << " is " << MessageTypeName(msgs[i].type);
    EXPECT_EQ(msgs[i].gtid, 0u);
    EXPECT_EQ(msgs[i].seqnum, 0u);
  }
  EXPECT_EQ(msgs.back().type, GHOST_MSG_CPU_AVAILABLE)
      << "the CPU is idle again";
  absl::StatusOr<std::string> stats = ReadGhostfsFile(File("stats"));
  ASSERT_TRUE(stats.ok());
  EXPECT_THAT(*stats, ::testing::HasSubstr("msg_cpu_busy "));
}

TEST_F(CpuMsgTest, ACpuWithoutAQueueSendsNothing) {
  // Opt-in: on the default queue they would wake agents at every switch.
  std::unique_ptr<MessageQueue> queue = NewQueue(MessageQueue::kDefault);
  ASSERT_NE(queue, nullptr);
  HogCpu(kCpu, absl::Milliseconds(50));
  HogCpu(3, absl::Milliseconds(50));  // not even the enclave's
  EXPECT_THAT(CpuMessages(*queue, kCpu), IsEmpty());
  EXPECT_THAT(CpuMessages(*queue, 3), IsEmpty());
}

TEST_F(CpuMsgTest, AnAssociatedCpuQueueGetsThatCpusMessagesOnly) {
  std::unique_ptr<MessageQueue> def = NewQueue(MessageQueue::kDefault);
  std::unique_ptr<MessageQueue> mine = NewQueue(MessageQueue::kPlain);
  ASSERT_NE(def, nullptr);
  ASSERT_NE(mine, nullptr);
  ASSERT_TRUE(mine->AssociateCpu(kCpu).ok());
  (void)CpuMessages(*def, kCpu);  // anything from before
  HogCpu(kCpu, absl::Milliseconds(50));
  HogCpu(2, absl::Milliseconds(50));
  // Both hogs are off their CPUs: each message they cause is queued.
  std::vector<ghost_msg> msgs = PopAll(*mine);
  for (const ghost_msg& m : msgs) {
    EXPECT_EQ(m.cpu, kCpu) << MessageTypeName(m.type) << " of CPU " << m.cpu;
  }
  EXPECT_TRUE(CollectUntilAvailable(*mine, kCpu, 2, msgs));
  for (const ghost_msg& m : PopAll(*def)) {
    EXPECT_FALSE(IsCpuMessage(m))
        << MessageTypeName(m.type) << " of CPU " << m.cpu
        << " on the default queue (CPU 2 has no queue)";
  }
}

TEST_F(CpuMsgTest, AssociatingACpuOutsideTheEnclaveIsInvalid) {
  std::unique_ptr<MessageQueue> q = NewQueue(MessageQueue::kPlain);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->AssociateCpu(3).code(), ErrnoCode(EINVAL));
  EXPECT_EQ(q->AssociateCpu(-1).code(), ErrnoCode(EINVAL));
  EXPECT_EQ(q->AssociateCpu(100000).code(), ErrnoCode(EINVAL));
  ghost_assoc_cpu_queue_args args = {.queue_fd = dir_.get(), .cpu = kCpu};
  EXPECT_EQ(GhostRun(GHOST_OP_ASSOC_CPU_QUEUE, &args, sizeof(args), "assoc")
                .status()
                .code(),
            ErrnoCode(EBADF))
      << "an enclave directory is not a queue";
}

TEST_F(CpuMsgTest, ACpuThatLeavesTheEnclaveForgetsItsQueue) {
  std::unique_ptr<MessageQueue> def = NewQueue(MessageQueue::kDefault);
  std::unique_ptr<MessageQueue> mine = NewQueue(MessageQueue::kPlain);
  ASSERT_TRUE(mine->AssociateCpu(kCpu).ok());
  ASSERT_TRUE(enclave_->SetCpus("2").ok());
  ASSERT_TRUE(enclave_->SetCpus("1-2").ok());
  (void)CpuMessages(*def, kCpu);
  (void)CpuMessages(*mine, kCpu);  // from before it left
  HogCpu(kCpu, absl::Milliseconds(50));
  EXPECT_THAT(CpuMessages(*mine, kCpu), IsEmpty());
  EXPECT_THAT(CpuMessages(*def, kCpu), IsEmpty());
  ASSERT_TRUE(mine->AssociateCpu(kCpu).ok()) << "it can be set again";
  HogCpu(kCpu, absl::Milliseconds(50));
  std::vector<ghost_msg> msgs;
  EXPECT_TRUE(CollectUntilAvailable(*mine, kCpu, 2, msgs));
}

TEST_F(CpuMsgTest, DeliverTicksAcceptsOnlyZeroOrOne) {
  EXPECT_EQ(*ReadGhostfsFile(File("deliver_ticks")), "0\n");
  for (const char* bad : {"2", "yes", "", "01", "-1"}) {
    EXPECT_EQ(WriteGhostfsFile(File("deliver_ticks"), bad).code(),
              ErrnoCode(EINVAL))
        << "'" << bad << "'";
  }
  EXPECT_EQ(*ReadGhostfsFile(File("deliver_ticks")), "0\n");
  ASSERT_TRUE(WriteGhostfsFile(File("deliver_ticks"), "1\n").ok());
  EXPECT_EQ(*ReadGhostfsFile(File("deliver_ticks")), "1\n");
}

// Runs one spinning ghost thread under an agent for `how_long`; returns
// the agent's counters.
FifoTestAgent::Counters SpinUnderAgent(Enclave& enclave, absl::Duration how_long) {
  absl::StatusOr<std::unique_ptr<FifoTestAgent>> agent =
      FifoTestAgent::Start(enclave, kCpu);
  EXPECT_TRUE(agent.ok()) << agent.status();
  if (!agent.ok()) return {};
  std::atomic<pid_t> tid{0};
  std::atomic<int> go{0};
  std::thread spinner([&] {
    tid.store(gettid());
    while (go.load() == 0) go.wait(0);
    const absl::Time end = absl::Now() + how_long;
    while (absl::Now() < end) {
    }
  });
  EXPECT_TRUE(WaitFor([&] { return tid.load() != 0; }));
  EXPECT_TRUE(WaitUntilBlocked(tid.load()));  // enters asleep, at its gate
  EXPECT_TRUE(enclave.AddTask(tid.load()).ok());
  go.store(1);
  go.notify_all();
  spinner.join();
  // Its DEAD comes after every tick of its run.
  EXPECT_TRUE(WaitFor([&] { return (*agent)->counters().threads_done >= 1; }));
  EXPECT_THAT((*agent)->problems(), IsEmpty());
  return (*agent)->counters();
}

TEST_F(CpuMsgTest, TicksAreDeliveredOnlyWhenAsked) {
  FifoTestAgent::Counters off = SpinUnderAgent(*enclave_, absl::Milliseconds(200));
  EXPECT_EQ(off.cpu_messages["CPU_TICK"], 0u);
  ASSERT_TRUE(WriteGhostfsFile(File("deliver_ticks"), "1").ok());
  FifoTestAgent::Counters on = SpinUnderAgent(*enclave_, absl::Milliseconds(200));
  // HZ is at least 100: 200 ms of spinning is many ticks.
  EXPECT_GE(on.cpu_messages["CPU_TICK"], 5u);
}

TEST_F(CpuMsgTest, ASpinningAgentIsToldThatOtherWorkWantsItsCpu) {
  std::unique_ptr<MessageQueue> queue = NewQueue(MessageQueue::kDefault);
  ASSERT_NE(queue, nullptr);
  const int wake[] = {kCpu};
  ASSERT_TRUE(queue->SetWakeupCpus(wake).ok());
  ASSERT_TRUE(queue->AssociateCpu(kCpu).ok());
  absl::StatusOr<StatusWordRegion> words = StatusWordRegion::Map(enclave_->dir());
  ASSERT_TRUE(words.ok());
  // The test's own threads stay off the CPU the agent spins on.
  const cpu_set_t saved = PinTo(0);
  std::atomic<bool> attached{false}, hog_started{false}, hog_done{false};
  std::atomic<bool> hog_gone{false}, saw_wanted{false}, saw_cleared{false};
  std::thread agent([&] {
    absl::StatusOr<uint32_t> sw = AttachAgent(dir_.get(), kCpu);
    if (!sw.ok()) return;
    attached.store(true);
    // Spin (the hog cannot run) until the flag says it waits; bounded.
    const absl::Time end = absl::Now() + absl::Seconds(3);
    while (absl::Now() < end) {
      if (hog_started.load() &&
          (words->Read(*sw).flags & GHOST_SW_F_CPU_WANTED)) {
        saw_wanted.store(true);
        break;
      }
    }
    // Step aside: block until the hog is gone and the flag with it (the
    // test pings us; CPU messages wake us too).
    const absl::Time stop = absl::Now() + absl::Seconds(5);
    while (absl::Now() < stop) {
      const StatusWord w = words->Read(*sw);
      if (hog_gone.load() && !(w.flags & GHOST_SW_F_CPU_WANTED)) {
        saw_cleared.store(true);
        break;
      }
      (void)BlockAgent(w.barrier);
    }
    MoveToCfs(0);
  });
  ASSERT_TRUE(WaitFor([&] { return attached.load(); }));
  std::thread hog([&] {
    // Flagged first: moving to the agent's CPU waits until the agent
    // steps aside.
    hog_started.store(true);
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(kCpu, &one);
    sched_setaffinity(0, sizeof(one), &one);
    const absl::Time end = absl::Now() + absl::Milliseconds(20);
    while (absl::Now() < end) {
    }
    hog_done.store(true);
  });
  hog.join();
  hog_gone.store(true);
  // Pings wake the blocked agent to look at its flag again.
  EXPECT_TRUE(WaitFor(
      [&] {
        (void)PingAgent(kCpu);
        return saw_cleared.load();
      },
      absl::Seconds(5)));
  agent.join();
  sched_setaffinity(0, sizeof(saved), &saved);
  EXPECT_TRUE(saw_wanted.load());
  EXPECT_TRUE(hog_done.load()) << "the hog ran once the agent blocked";
  EXPECT_TRUE(saw_cleared.load());
}

TEST_F(CpuMsgTest, OnlyAvailableWakesTheAgentOfThatCpu) {
  // A blocked agent of CPU 1 with CPU 1's messages on a queue that wakes
  // it: a hog's CPU_BUSY must not wake it (it would only take the CPU
  // back), its CPU_AVAILABLE must.
  std::unique_ptr<MessageQueue> queue = NewQueue(MessageQueue::kPlain);
  ASSERT_NE(queue, nullptr);
  const int wake[] = {kCpu};
  ASSERT_TRUE(queue->SetWakeupCpus(wake).ok());
  absl::StatusOr<StatusWordRegion> words =
      StatusWordRegion::Map(enclave_->dir());
  ASSERT_TRUE(words.ok());
  std::atomic<int> sw{-1};
  std::atomic<bool> stop{false};
  std::thread agent([&] {
    absl::StatusOr<uint32_t> index = AttachAgent(dir_.get(), kCpu);
    if (!index.ok()) {
      sw.store(-2);
      return;
    }
    sw.store(*index);
    while (!stop.load()) (void)BlockAgent(words->Read(*index).barrier);
    MoveToCfs(0);
  });
  ASSERT_TRUE(WaitFor([&] { return sw.load() != -1; }));
  ASSERT_GE(sw.load(), 0);
  ASSERT_TRUE(queue->AssociateCpu(kCpu).ok());
  auto barrier = [&] { return words->Read(sw.load()).barrier; };
  // A quiet start: every message so far is counted in `before` (the
  // barrier moves after its message is queued) and consumed.
  uint32_t before = 0;
  ASSERT_TRUE(WaitFor([&] {
    before = barrier();
    (void)CpuMessages(*queue, kCpu);
    return barrier() == before;
  }));
  HogCpu(kCpu, absl::Milliseconds(100));
  // Each CPU_AVAILABLE wakes it once, and nothing else does (a kernel
  // thread on the CPU may add a BUSY/AVAILABLE pair of its own).
  int busy = 0, available = 0;
  uint32_t after = before;
  EXPECT_TRUE(WaitFor([&] {
    after = barrier();
    for (const ghost_msg& m : CpuMessages(*queue, kCpu)) {
      busy += m.type == GHOST_MSG_CPU_BUSY;
      available += m.type == GHOST_MSG_CPU_AVAILABLE;
    }
    return available >= 1 && after - before == static_cast<uint32_t>(available);
  })) << busy << " BUSY and " << available << " AVAILABLE; the barrier moved "
      << after - before;
  EXPECT_GE(busy, 1);
  stop.store(true);
  (void)PingAgent(kCpu);
  agent.join();
}

TEST_F(CpuMsgTest, AgentOnlineCountsAgentsAndWakesPollers) {
  Fd file(open(File("agent_online").c_str(), O_RDONLY));
  ASSERT_GE(file.get(), 0);
  char buf[16] = {};
  ASSERT_GT(pread(file.get(), buf, sizeof(buf) - 1, 0), 0);
  EXPECT_STREQ(buf, "0\n");
  std::atomic<int> polled{0};
  std::atomic<pid_t> poller_tid{0};
  std::thread poller([&] {
    poller_tid.store(gettid());
    struct pollfd p = {.fd = file.get(), .events = POLLPRI};
    polled.store(poll(&p, 1, 20000) == 1 && (p.revents & POLLPRI) ? 1 : -1);
  });
  // Asleep in poll(): with nothing changed, it does not return.
  ASSERT_TRUE(WaitFor([&] { return poller_tid.load() != 0; }));
  ASSERT_TRUE(WaitUntilBlocked(poller_tid.load()));
  EXPECT_EQ(polled.load(), 0) << "nothing changed yet";
  {
    absl::StatusOr<std::unique_ptr<FifoTestAgent>> agent =
        FifoTestAgent::Start(*enclave_, kCpu);
    ASSERT_TRUE(agent.ok()) << agent.status();
    poller.join();
    EXPECT_EQ(polled.load(), 1) << "an agent attached: EPOLLPRI";
    char now[16] = {};
    ASSERT_GT(pread(file.get(), now, sizeof(now) - 1, 0), 0);
    EXPECT_STREQ(now, "1\n");
    EXPECT_THAT(*enclave_->StatusText(), ::testing::HasSubstr("agents 1\n"));
  }
  // The agent process is reaped a moment before its last switch, when it
  // detaches: wait for the count to drop.
  std::string after;
  EXPECT_TRUE(WaitFor([&] {
    char now[16] = {};
    after = pread(file.get(), now, sizeof(now) - 1, 0) > 0 ? now : "?";
    return after == "0\n";
  })) << "the agent left; agent_online says " << after;
}

}  // namespace
}  // namespace ghost
