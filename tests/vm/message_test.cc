// Messages, queues and status words (kernel rules K5 gtids, K6, K8, K9), and
// the ghost_run() operations that manage them. The events come from
// threads that enter, get signalled, change affinity and nice, block,
// yield, get preempted, fork, leave and exit; MessageTest reads the queue
// itself (no agent: its threads are blocked or never run), and
// RunningThreadTest watches threads that run, through an agent's log.
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/abi/enclave.h"
#include "lib/abi/ghost_run.h"
#include "lib/abi/ghostfs_mount.h"
#include "lib/abi/message_queue.h"
#include "lib/abi/status_word_region.h"
#include "lib/uapi/linux/ghost.h"
#include "tests/vm/blocked_child.h"
#include "tests/vm/fifo_test_agent.h"
#include "tests/vm/running_ghost.h"
#include "tests/vm/vm_helpers.h"
#include "tests/vm/wait_for.h"

namespace ghost {
namespace {

using ::ghost::testing::BlockedChild;
using ::ghost::testing::CpuAgent;
using ::ghost::testing::DestroyAllEnclaves;
using ::ghost::testing::ErrnoCode;
using ::ghost::testing::FifoTestAgent;
using ::ghost::testing::kWaitLimit;
using ::ghost::testing::MoveToCfs;
using ::ghost::testing::PinTo;
using ::ghost::testing::ReapWithin;
using ::ghost::testing::RunAsNobody;
using ::ghost::testing::WaitFor;
using ::ghost::testing::WaitUntilBlocked;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

// ghost_run() as a raw system call: 0 or the errno.
int RunErrno(unsigned int op, void* arg, unsigned int size) {
  return syscall(__NR_ghost_run, op, arg, size) < 0 ? errno : 0;
}

// "NEW WAKEUP ..." for the messages of one thread, for readable failures.
std::string Types(const std::vector<ghost_msg>& msgs) {
  std::vector<std::string> names;
  for (const ghost_msg& m : msgs) names.push_back(MessageTypeName(m.type));
  return absl::StrJoin(names, " ");
}

class MessageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(EnsureGhostfsMounted(GHOSTFS_MOUNT_POINT).ok());
    DestroyAllEnclaves();
    absl::StatusOr<Enclave> e = Enclave::Create(7);
    ASSERT_TRUE(e.ok()) << e.status();
    enclave_.emplace(*e);
    absl::StatusOr<Fd> dir = OpenEnclaveDir(enclave_->dir());
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::move(*dir);
    absl::StatusOr<MessageQueue> q =
        MessageQueue::Create(dir_.get(), 256, MessageQueue::kDefault);
    ASSERT_TRUE(q.ok()) << q.status();
    queue_.emplace(std::move(*q));
  }
  void TearDown() override {
    queue_.reset();
    dir_.Reset();
    DestroyAllEnclaves();
  }

  // Moves every message from `q` into `seen_`.
  void Drain(MessageQueue& q) {
    ghost_msg msg;
    while (q.ring().Pop(&msg)) seen_.push_back(msg);
  }

  // The messages of `gtid` seen so far, waiting up to `limit` until there
  // are at least `n`.
  std::vector<ghost_msg> MessagesOf(uint64_t gtid, size_t n = 0) {
    std::vector<ghost_msg> out;
    WaitFor([&] {
      Drain(*queue_);
      out.clear();
      for (const ghost_msg& m : seen_) {
        if (m.gtid == gtid) out.push_back(m);
      }
      return out.size() >= n;
    });
    return out;
  }

  uint64_t Gtid(pid_t tid) {
    absl::StatusOr<uint64_t> gtid = GetGtid(tid);
    EXPECT_TRUE(gtid.ok()) << gtid.status();
    return gtid.value_or(0);
  }

  StatusWord WordOf(uint64_t gtid) {
    absl::StatusOr<StatusWordRegion> region =
        StatusWordRegion::Map(enclave_->dir());
    EXPECT_TRUE(region.ok()) << region.status();
    std::optional<StatusWord> w = region->Find(gtid);
    EXPECT_TRUE(w.has_value()) << "no status word for gtid " << gtid;
    return w.value_or(StatusWord{});
  }

  std::optional<Enclave> enclave_;
  Fd dir_;
  std::optional<MessageQueue> queue_;
  std::vector<ghost_msg> seen_;
};

TEST_F(MessageTest, AThreadThatEntersIsAnnouncedByNewWithItsStatusWord) {
  BlockedChild child;
  const uint64_t gtid = Gtid(child.pid());
  ASSERT_TRUE(enclave_->AddTask(child.pid()).ok());

  std::vector<ghost_msg> msgs = MessagesOf(gtid, 1);
  ASSERT_EQ(msgs.size(), 1u) << Types(msgs);
  EXPECT_EQ(msgs[0].type, GHOST_MSG_NEW);
  EXPECT_EQ(msgs[0].seqnum, 1u);
  EXPECT_EQ(msgs[0].flags & (GHOST_MSG_F_RUNNABLE | GHOST_MSG_F_ON_CPU), 0)
      << "a blocked thread is neither runnable nor running";
  EXPECT_EQ(msgs[0].nice, 0);

  const StatusWord w = WordOf(gtid);
  EXPECT_EQ(w.index, msgs[0].sw_index);
  EXPECT_EQ(w.barrier, 1u);
  EXPECT_TRUE(w.in_use());
  EXPECT_FALSE(w.runnable() || w.on_cpu() || w.can_free());

  absl::StatusOr<StatusWordLocation> where = FindStatusWord(dir_.get(), gtid);
  ASSERT_TRUE(where.ok()) << where.status();
  EXPECT_EQ(where->index, msgs[0].sw_index);
}

// A child that blocks in read() and has a SIGUSR1 handler, so a signal
// wakes it without killing it.
pid_t ForkSignalWaiter(int* wfd) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    struct sigaction sa = {};
    sa.sa_handler = [](int) {};
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, nullptr);
    close(fds[1]);
    char c;
    while (read(fds[0], &c, 1) == 1) {
    }
    _exit(0);
  }
  close(fds[0]);
  *wfd = fds[1];
  return pid;
}

TEST_F(MessageTest, EventsOfAThreadArriveInOrderAndDepartedIsLast) {
  int wfd;
  const pid_t pid = ForkSignalWaiter(&wfd);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(WaitUntilBlocked(pid)) << "it enters blocked in its read";
  const uint64_t gtid = Gtid(pid);
  ASSERT_TRUE(enclave_->AddTask(pid).ok());

  ASSERT_EQ(kill(pid, SIGUSR1), 0);  // wakes it: runnable, but no agent
  ASSERT_EQ(MessagesOf(gtid, 2).size(), 2u);
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  CPU_SET(0, &cpus);
  CPU_SET(1, &cpus);
  ASSERT_EQ(sched_setaffinity(pid, sizeof(cpus), &cpus), 0);
  ASSERT_EQ(setpriority(PRIO_PROCESS, pid, 5), 0);
  MoveToCfs(pid);  // leaves: the last message

  std::vector<ghost_msg> msgs = MessagesOf(gtid, 5);
  EXPECT_EQ(Types(msgs),
            "NEW WAKEUP AFFINITY_CHANGED PRIORITY_CHANGED DEPARTED");
  for (size_t i = 0; i < msgs.size(); ++i) {
    EXPECT_EQ(msgs[i].seqnum, i + 1) << "message " << i;
  }
  ASSERT_EQ(msgs.size(), 5u);
  EXPECT_EQ(msgs[3].nice, 5);

  // The word went to the agent: CANFREE, barrier at the last message.
  const StatusWord w = WordOf(gtid);
  EXPECT_TRUE(w.can_free());
  EXPECT_EQ(w.barrier, 5u);
  EXPECT_FALSE(w.runnable());

  // Back in CFS it runs its handler and blocks again (it was runnable,
  // so blocked means it ran): that run sent nothing.
  ASSERT_TRUE(WaitUntilBlocked(pid));
  EXPECT_EQ(MessagesOf(gtid).size(), 5u);
  EXPECT_EQ(WordOf(gtid).barrier, 5u);

  // The agent frees the word once; a second free finds nothing.
  EXPECT_TRUE(FreeStatusWord(dir_.get(), {0, w.index}).ok());
  EXPECT_EQ(FreeStatusWord(dir_.get(), {0, w.index}).code(),
            ErrnoCode(ENOENT));
  close(wfd);
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

TEST_F(MessageTest, AMemberWordCannotBeFreed) {
  BlockedChild child;
  const uint64_t gtid = Gtid(child.pid());
  ASSERT_TRUE(enclave_->AddTask(child.pid()).ok());
  const StatusWord w = WordOf(gtid);
  EXPECT_EQ(FreeStatusWord(dir_.get(), {0, w.index}).code(),
            ErrnoCode(EBUSY));
  EXPECT_EQ(FreeStatusWord(dir_.get(), {0, GHOST_SW_REGION_WORDS}).code(),
            ErrnoCode(EINVAL));
  EXPECT_EQ(FreeStatusWord(dir_.get(), {1, 0}).code(), ErrnoCode(EINVAL));
}

TEST_F(MessageTest, StatusWordsRediscoverEveryThreadOfTheEnclave) {
  BlockedChild a, b, c;
  for (BlockedChild* child : {&a, &b, &c}) {
    ASSERT_TRUE(enclave_->AddTask(child->pid()).ok());
  }
  MoveToCfs(c.pid());  // left: its word stays until freed, marked CANFREE

  absl::StatusOr<StatusWordRegion> region =
      StatusWordRegion::Map(enclave_->dir());
  ASSERT_TRUE(region.ok()) << region.status();
  std::vector<uint64_t> members, left;
  for (const StatusWord& w : region->InUse()) {
    (w.can_free() ? left : members).push_back(w.gtid);
  }
  EXPECT_THAT(members, UnorderedElementsAre(Gtid(a.pid()), Gtid(b.pid())));
  EXPECT_THAT(left, ElementsAre(Gtid(c.pid())));
}

TEST_F(MessageTest, StatusWordsAreReadOnly) {
  const std::string path = enclave_->dir() + "/sw_regions/sw_0";
  // Not even root opens it for writing.
  EXPECT_LT(open(path.c_str(), O_RDWR), 0);
  EXPECT_EQ(errno, EACCES);
  Fd fd(open(path.c_str(), O_RDONLY));
  ASSERT_TRUE(fd.valid()) << std::strerror(errno);
  const size_t size = GHOST_SW_REGION_WORDS * sizeof(ghost_status_word);
  // A private writable copy is refused too, and so is adding PROT_WRITE.
  EXPECT_EQ(mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE,
                 fd.get(), 0),
            MAP_FAILED);
  EXPECT_EQ(errno, EPERM);
  void* map = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd.get(), 0);
  ASSERT_NE(map, MAP_FAILED);
  EXPECT_NE(mprotect(map, size, PROT_READ | PROT_WRITE), 0);
  munmap(map, size);
  // Larger than the region, or from an offset: refused.
  EXPECT_EQ(mmap(nullptr, size + 4096, PROT_READ, MAP_SHARED, fd.get(), 0),
            MAP_FAILED);
  EXPECT_EQ(mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fd.get(), 4096),
            MAP_FAILED);
}

// The tests below watch a ghost thread that runs (tests/vm/running_ghost.h):
// a helper on CPU 2, the enclave's only CPU, with an agent there whose log
// shows the helper's messages. A kernel thread that takes CPU 2 adds a
// PREEMPTED, so each test looks at the messages of the behaviour it
// names, not at the exact sequence.

template <typename Body>
pid_t ForkRunningGhost(const Enclave& e, Body body) {
  return testing::ForkRunningGhost(e, 2, body);
}

bool IsLast(const ghost_msg& m) {
  return m.type == GHOST_MSG_DEAD || m.type == GHOST_MSG_DEPARTED;
}

class RunningThreadTest : public MessageTest {
 protected:
  void SetUp() override {
    MessageTest::SetUp();
    ASSERT_TRUE(enclave_->SetCpus("2").ok());
    // Its queue is the default one now.
    absl::StatusOr<std::unique_ptr<CpuAgent>> agent =
        CpuAgent::Start(*enclave_, 2);
    ASSERT_TRUE(agent.ok()) << agent.status();
    cpu_agent_ = std::move(*agent);
    agent_ = &cpu_agent_->agent();
  }
  void TearDown() override {
    if (agent_ != nullptr) EXPECT_THAT(agent_->problems(), IsEmpty());
    cpu_agent_.reset();
    MessageTest::TearDown();
  }

  // Reaps helper `pid`, which must exit with 0.
  void ExpectExitsCleanly(pid_t pid) {
    int status = 0;
    ASSERT_TRUE(ReapWithin(pid, kWaitLimit, &status)) << "helper " << pid;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }

  // Every message of `gtid`, once its last one (DEAD or DEPARTED) came.
  std::vector<ghost_msg> AllMessagesOf(uint64_t gtid) {
    std::vector<ghost_msg> msgs;
    EXPECT_TRUE(WaitFor([&] {
      msgs = agent_->MessagesOf(gtid);
      return !msgs.empty() && IsLast(msgs.back());
    })) << "no DEAD or DEPARTED after " << Types(msgs);
    return msgs;
  }

  std::unique_ptr<CpuAgent> cpu_agent_;
  FifoTestAgent* agent_ = nullptr;
};

TEST_F(RunningThreadTest, AThreadThatExitsEndsWithDeadAndNotBlocked) {
  const pid_t pid = ForkRunningGhost(*enclave_, [] {});
  const uint64_t gtid = Gtid(pid);  // a zombie keeps its gtid until reaped
  const std::vector<ghost_msg> msgs = AllMessagesOf(gtid);
  ExpectExitsCleanly(pid);
  ASSERT_GE(msgs.size(), 2u) << Types(msgs);
  EXPECT_EQ(msgs.front().type, GHOST_MSG_NEW);
  EXPECT_TRUE(msgs.front().flags & GHOST_MSG_F_ON_CPU) << "it entered running";
  EXPECT_EQ(msgs.back().type, GHOST_MSG_DEAD) << Types(msgs);
  EXPECT_NE(msgs[msgs.size() - 2].type, GHOST_MSG_BLOCKED)
      << "its last switch is its death, not a block: " << Types(msgs);
}

TEST_F(RunningThreadTest, ARunningThreadThatBlocksSaysBlockedThenWakeup) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = ForkRunningGhost(*enclave_, [&] {
    char c;
    (void)read(fds[0], &c, 1);
  });
  const uint64_t gtid = Gtid(pid);
  // Blocked in its read: nothing comes after BLOCKED until it wakes.
  ASSERT_TRUE(WaitFor([&] {
    const std::vector<ghost_msg> msgs = agent_->MessagesOf(gtid);
    return !msgs.empty() && msgs.back().type == GHOST_MSG_BLOCKED;
  })) << Types(agent_->MessagesOf(gtid));
  const StatusWord w = WordOf(gtid);
  EXPECT_FALSE(w.on_cpu() || w.runnable());

  ASSERT_EQ(write(fds[1], "x", 1), 1);  // wakes it; the agent runs it
  const std::vector<ghost_msg> msgs = AllMessagesOf(gtid);
  ExpectExitsCleanly(pid);
  close(fds[0]);
  close(fds[1]);
  EXPECT_THAT(Types(msgs), HasSubstr("BLOCKED WAKEUP"));
  EXPECT_EQ(msgs.back().type, GHOST_MSG_DEAD) << Types(msgs);
}

TEST_F(RunningThreadTest, ARunningThreadThatYieldsSaysYield) {
  const pid_t pid = ForkRunningGhost(*enclave_, [] { sched_yield(); });
  const uint64_t gtid = Gtid(pid);
  const std::vector<ghost_msg> msgs = AllMessagesOf(gtid);
  ExpectExitsCleanly(pid);
  EXPECT_THAT(Types(msgs), HasSubstr("YIELD"));
  EXPECT_EQ(msgs.back().type, GHOST_MSG_DEAD) << Types(msgs);
}

TEST_F(RunningThreadTest, ACfsTaskPreemptsARunningGhostThread) {
  const pid_t pid = ForkRunningGhost(*enclave_, [] {
    for (;;) {
    }
  });
  const uint64_t gtid = Gtid(pid);
  // Running on CPU 2 (it entered running, or the agent put it back).
  // `before`: its messages up to then; a later PREEMPTED is the news.
  absl::StatusOr<StatusWordRegion> words =
      StatusWordRegion::Map(enclave_->dir());
  ASSERT_TRUE(words.ok()) << words.status();
  size_t before = 0;
  ASSERT_TRUE(WaitFor([&] {
    before = agent_->MessagesOf(gtid).size();
    const std::optional<StatusWord> w = words->Find(gtid);  // once it entered
    return w.has_value() && w->on_cpu();
  }));
  // A CFS task that wakes on CPU 2 takes the CPU from the ghost thread.
  const pid_t cfs = fork();
  if (cfs == 0) {
    PinTo(2);
    _exit(0);
  }
  ExpectExitsCleanly(cfs);
  std::optional<ghost_msg> preempted;
  EXPECT_TRUE(WaitFor([&] {
    const std::vector<ghost_msg> msgs = agent_->MessagesOf(gtid);
    for (size_t i = before; i < msgs.size(); ++i) {
      if (msgs[i].type == GHOST_MSG_PREEMPTED) preempted = msgs[i];
    }
    return preempted.has_value();
  })) << Types(agent_->MessagesOf(gtid));
  if (preempted) {
    EXPECT_EQ(preempted->cpu, 2);
    EXPECT_GT(preempted->runtime, 0u) << "it ran before it lost the CPU";
  }
  MoveToCfs(pid);
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

TEST_F(RunningThreadTest, AForkedChildIsBornWithNewBeforeAnythingElse) {
  const pid_t pid = ForkRunningGhost(*enclave_, [] {
    const pid_t child = fork();
    if (child == 0) _exit(0);
    waitpid(child, nullptr, 0);
  });
  const uint64_t gtid = Gtid(pid);
  AllMessagesOf(gtid);
  ExpectExitsCleanly(pid);
  // The child (reaped by now) is the enclave's one thread announced as
  // FORKED.
  std::optional<ghost_msg> born;
  for (const ghost_msg& m : agent_->Messages()) {
    if (m.type == GHOST_MSG_NEW && (m.flags & GHOST_MSG_F_FORKED)) born = m;
  }
  ASSERT_TRUE(born.has_value()) << "no NEW with FORKED";
  const std::vector<ghost_msg> msgs = AllMessagesOf(born->gtid);
  ASSERT_FALSE(msgs.empty());
  EXPECT_EQ(msgs.front().type, GHOST_MSG_NEW) << Types(msgs);
  EXPECT_EQ(msgs.front().seqnum, 1u);
  EXPECT_TRUE(msgs.front().flags & GHOST_MSG_F_RUNNABLE);
  EXPECT_EQ(msgs.back().type, GHOST_MSG_DEAD) << Types(msgs);
}

// fork() into the pid `tid` (clone3's set_tid, as checkpoint/restore does).
pid_t ForkWithPid(pid_t tid) {
  struct clone_args args = {};
  args.exit_signal = SIGCHLD;
  args.set_tid = reinterpret_cast<uint64_t>(&tid);
  args.set_tid_size = 1;
  return syscall(SYS_clone3, &args, sizeof(args));
}

TEST_F(MessageTest, ARecycledPidGetsANewGtid) {
  // Each child exits at once and stays a zombie (its pid taken) until
  // reaped; a zombie still has its gtid.
  const pid_t first = fork();
  if (first == 0) _exit(0);
  const uint64_t first_gtid = Gtid(first);
  waitpid(first, nullptr, 0);
  const pid_t second = ForkWithPid(first);
  if (second == 0) _exit(0);
  ASSERT_EQ(second, first) << "the pid was not recycled: "
                           << std::strerror(errno);
  const uint64_t second_gtid = Gtid(second);
  waitpid(second, nullptr, 0);
  EXPECT_NE(second_gtid, first_gtid);
  EXPECT_NE(second_gtid, 0u);
}

TEST_F(MessageTest, AssociationNeedsTheLatestBarrier) {
  BlockedChild child;
  const uint64_t gtid = Gtid(child.pid());
  ASSERT_TRUE(enclave_->AddTask(child.pid()).ok());
  ASSERT_EQ(MessagesOf(gtid, 1).size(), 1u);  // NEW, seqnum 1

  absl::StatusOr<MessageQueue> other =
      MessageQueue::Create(dir_.get(), 64, MessageQueue::kPlain);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(other->Associate(gtid, 0).code(), ErrnoCode(ESTALE));
  EXPECT_EQ(other->Associate(gtid + 1000000, 1).code(), ErrnoCode(ENOENT));
  ASSERT_TRUE(other->Associate(gtid, 1).ok());

  // Its next message goes to the new queue only.
  ASSERT_EQ(setpriority(PRIO_PROCESS, child.pid(), 3), 0);
  ghost_msg msg;
  ASSERT_TRUE(other->ring().Pop(&msg));
  EXPECT_EQ(msg.type, GHOST_MSG_PRIORITY_CHANGED);
  EXPECT_EQ(msg.seqnum, 2u);
  EXPECT_EQ(queue_->ring().Pending(), 0u);

  // A queue fd is needed; anything else is EBADF.
  ghost_assoc_queue_args args = {.queue_fd = dir_.get(), .barrier = 2,
                                 .gtid = gtid};
  EXPECT_EQ(RunErrno(GHOST_OP_ASSOC_QUEUE, &args, sizeof(args)), EBADF);
}

TEST_F(MessageTest, AFullQueueDropsCountsAndMakesTheBarrierStale) {
  queue_.reset();
  absl::StatusOr<MessageQueue> small =
      MessageQueue::Create(dir_.get(), 16, MessageQueue::kDefault);
  ASSERT_TRUE(small.ok()) << small.status();
  BlockedChild child;
  const uint64_t gtid = Gtid(child.pid());
  ASSERT_TRUE(enclave_->AddTask(child.pid()).ok());
  for (int i = 0; i < 40; ++i) {  // 40 PRIORITY_CHANGED after NEW
    ASSERT_EQ(setpriority(PRIO_PROCESS, child.pid(), 1 + i % 2), 0);
  }
  EXPECT_EQ(small->ring().Pending(), 16u);
  EXPECT_EQ(small->ring().overflow(), 25u);
  ghost_msg msg;
  for (uint32_t seq = 1; seq <= 16; ++seq) {
    ASSERT_TRUE(small->ring().Pop(&msg));
    EXPECT_EQ(msg.seqnum, seq) << "the ring keeps the oldest, in order";
  }
  // The word says 41 messages exist: an agent at 16 is stale.
  EXPECT_EQ(WordOf(gtid).barrier, 41u);
  EXPECT_EQ(small->Associate(gtid, 16).code(), ErrnoCode(ESTALE));
  EXPECT_THAT(*ReadGhostfsFile(enclave_->dir() + "/stats"),
              HasSubstr("msg_dropped 25\n"));

  // Room again: the next message arrives, numbered after the lost ones.
  ASSERT_EQ(setpriority(PRIO_PROCESS, child.pid(), 4), 0);
  ASSERT_TRUE(small->ring().Pop(&msg));
  EXPECT_EQ(msg.seqnum, 42u);
}

TEST_F(MessageTest, ABogusTailLosesMessagesButNeverCorruptsTheRing) {
  BlockedChild child;
  const uint64_t gtid = Gtid(child.pid());
  ASSERT_TRUE(enclave_->AddTask(child.pid()).ok());
  ASSERT_EQ(MessagesOf(gtid, 1).size(), 1u);
  // Map the queue a second time and scribble over the agent's tail.
  void* map = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
                   queue_->fd(), 0);
  ASSERT_NE(map, MAP_FAILED);
  auto* hdr = static_cast<ghost_queue_header*>(map);
  const uint32_t tail = hdr->tail;
  hdr->tail = tail + 1000;
  ASSERT_EQ(setpriority(PRIO_PROCESS, child.pid(), 2), 0);
  EXPECT_EQ(hdr->head, tail) << "nothing written";
  EXPECT_EQ(hdr->overflow, 1u);
  hdr->tail = tail;
  ASSERT_EQ(setpriority(PRIO_PROCESS, child.pid(), 3), 0);
  std::vector<ghost_msg> msgs = MessagesOf(gtid, 2);
  EXPECT_EQ(Types(msgs), "NEW PRIORITY_CHANGED");
  munmap(map, 4096);
}

TEST_F(MessageTest, ManyMessagesWrapTheRingInOrder) {
  queue_.reset();
  absl::StatusOr<MessageQueue> q =
      MessageQueue::Create(dir_.get(), 16, MessageQueue::kDefault);
  ASSERT_TRUE(q.ok()) << q.status();
  BlockedChild child;
  const uint64_t gtid = Gtid(child.pid());
  ASSERT_TRUE(enclave_->AddTask(child.pid()).ok());
  uint32_t expected = 1;
  ghost_msg msg;
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(setpriority(PRIO_PROCESS, child.pid(), 1 + i % 2), 0);
    while (q->ring().Pop(&msg)) {
      ASSERT_EQ(msg.gtid, gtid);
      ASSERT_EQ(msg.seqnum, expected++);
    }
  }
  EXPECT_EQ(expected, 202u);
  EXPECT_EQ(q->ring().overflow(), 0u);
}

TEST_F(MessageTest, DestroyingTheEnclaveSaysDepartedForEveryThread) {
  BlockedChild a, b;
  ASSERT_TRUE(enclave_->AddTask(a.pid()).ok());
  ASSERT_TRUE(enclave_->AddTask(b.pid()).ok());
  ASSERT_TRUE(enclave_->Destroy().ok());
  EXPECT_EQ(Types(MessagesOf(Gtid(a.pid()), 2)), "NEW DEPARTED");
  EXPECT_EQ(Types(MessagesOf(Gtid(b.pid()), 2)), "NEW DEPARTED");
  // The fd of the destroyed enclave's directory names nothing now.
  ghost_sw_args args = {.enclave_fd = dir_.get()};
  EXPECT_EQ(RunErrno(GHOST_OP_SW_INFO, &args, sizeof(args)), ENODEV);
}

TEST_F(MessageTest, StatsCountMessagesByType) {
  BlockedChild child;
  ASSERT_TRUE(enclave_->AddTask(child.pid()).ok());
  ASSERT_EQ(setpriority(PRIO_PROCESS, child.pid(), 1), 0);
  MoveToCfs(child.pid());
  absl::StatusOr<std::string> stats =
      ReadGhostfsFile(enclave_->dir() + "/stats");
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_THAT(*stats, HasSubstr("msg_new 1\n"));
  EXPECT_THAT(*stats, HasSubstr("msg_priority_changed 1\n"));
  EXPECT_THAT(*stats, HasSubstr("msg_departed 1\n"));
  EXPECT_THAT(*stats, HasSubstr("msg_no_queue 0\n"));
}

TEST_F(MessageTest, WithoutAQueueMessagesAreCountedAndTheBarrierMoves) {
  queue_.reset();  // closing the fd does not unset the default...
  DestroyAllEnclaves();
  absl::StatusOr<Enclave> e = Enclave::Create(8);  // ...a new enclave has none
  ASSERT_TRUE(e.ok());
  BlockedChild child;
  ASSERT_TRUE(e->AddTask(child.pid()).ok());
  EXPECT_THAT(*ReadGhostfsFile(e->dir() + "/stats"),
              HasSubstr("msg_no_queue 1\n"));
  absl::StatusOr<StatusWordRegion> region = StatusWordRegion::Map(e->dir());
  ASSERT_TRUE(region.ok());
  std::optional<StatusWord> w = region->Find(Gtid(child.pid()));
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->barrier, 1u);
}

TEST_F(MessageTest, QueueWakeupCpusMustBelongToTheEnclave) {
  ASSERT_TRUE(enclave_->SetCpus("1-2").ok());
  EXPECT_TRUE(queue_->SetWakeupCpus({1, 2}).ok());
  EXPECT_TRUE(queue_->SetWakeupCpus({}).ok());
  EXPECT_EQ(queue_->SetWakeupCpus({0}).code(), ErrnoCode(EINVAL));
  EXPECT_EQ(queue_->SetWakeupCpus({-1}).code(), ErrnoCode(EINVAL));
  EXPECT_EQ(queue_->SetWakeupCpus({4096}).code(), ErrnoCode(EINVAL));
  ghost_queue_wakeup_args args = {.queue_fd = queue_->fd(), .nr_cpus = 9};
  EXPECT_EQ(RunErrno(GHOST_OP_CONFIG_QUEUE_WAKEUP, &args, sizeof(args)),
            EINVAL);
}

TEST_F(MessageTest, QueueCreationChecksItsArguments) {
  ghost_create_queue_args args = {.enclave_fd = dir_.get(), .nelems = 100};
  EXPECT_EQ(RunErrno(GHOST_OP_CREATE_QUEUE, &args, sizeof(args)), EINVAL)
      << "not a power of two";
  args.nelems = 8;
  EXPECT_EQ(RunErrno(GHOST_OP_CREATE_QUEUE, &args, sizeof(args)), EINVAL);
  args.nelems = 1 << 17;
  EXPECT_EQ(RunErrno(GHOST_OP_CREATE_QUEUE, &args, sizeof(args)), EINVAL);
  args.nelems = 64;
  args.flags = 1u << 5;
  EXPECT_EQ(RunErrno(GHOST_OP_CREATE_QUEUE, &args, sizeof(args)), EINVAL);
  args.flags = 0;
  // A private mapping cannot be the shared ring.
  const int fd = syscall(__NR_ghost_run, GHOST_OP_CREATE_QUEUE, &args,
                         sizeof(args));
  ASSERT_GE(fd, 0) << std::strerror(errno);
  EXPECT_EQ(args.map_size, 4096u + 64 * sizeof(ghost_msg));
  EXPECT_EQ(mmap(nullptr, args.map_size, PROT_READ, MAP_PRIVATE, fd, 0),
            MAP_FAILED);
  EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
  close(fd);
}

TEST_F(MessageTest, GhostRunRejectsBadCallsWithClearErrnos) {
  ghost_gtid_args g = {.tid = 0};
  EXPECT_EQ(RunErrno(999, &g, sizeof(g)), EINVAL) << "unknown op";
  EXPECT_EQ(RunErrno(GHOST_OP_GET_GTID, &g, sizeof(g) - 1), EINVAL);
  EXPECT_EQ(RunErrno(GHOST_OP_GET_GTID, nullptr, sizeof(g)), EFAULT);
  g.reserved = 1;
  EXPECT_EQ(RunErrno(GHOST_OP_GET_GTID, &g, sizeof(g)), EINVAL);
  g.reserved = 0;
  g.tid = 999999;
  EXPECT_EQ(RunErrno(GHOST_OP_GET_GTID, &g, sizeof(g)), ESRCH);
  // A bigger structure is fine if its unknown tail is zero.
  char big[64] = {};
  EXPECT_EQ(RunErrno(GHOST_OP_GET_GTID, big, sizeof(big)), 0);
  big[40] = 1;
  EXPECT_EQ(RunErrno(GHOST_OP_GET_GTID, big, sizeof(big)), E2BIG);

  // Enclave fds: only an enclave directory will do.
  Fd top(open(GHOSTFS_MOUNT_POINT, O_RDONLY | O_DIRECTORY));
  Fd proc(open("/proc", O_RDONLY | O_DIRECTORY));
  Fd status(open((enclave_->dir() + "/status").c_str(), O_RDONLY));
  for (int fd : {top.get(), proc.get(), status.get(), -1, 12345}) {
    ghost_sw_args s = {.enclave_fd = fd};
    EXPECT_EQ(RunErrno(GHOST_OP_SW_INFO, &s, sizeof(s)), EBADF) << fd;
  }
}

TEST_F(MessageTest, AgentOperationsNeedCapSysNiceButGtidsDoNot) {
  const int fd = dir_.get();
  EXPECT_EQ(RunAsNobody([fd] {
              ghost_gtid_args g = {.tid = 0};
              if (RunErrno(GHOST_OP_GET_GTID, &g, sizeof(g)) != 0) return 1;
              ghost_create_queue_args q = {.enclave_fd = fd, .nelems = 64};
              if (RunErrno(GHOST_OP_CREATE_QUEUE, &q, sizeof(q)) != EPERM) {
                return 2;
              }
              ghost_sw_args s = {.enclave_fd = fd};
              if (RunErrno(GHOST_OP_SW_INFO, &s, sizeof(s)) != EPERM) return 3;
              return 0;
            }),
            0);
}

}  // namespace
}  // namespace ghost
