// Messages, queues and status words (kernel rules K5 gtids, K6, K8, K9), and
// the ghost_run() operations that manage them. No agent exists yet, so the
// events come from threads that enter, get signalled, change affinity and
// nice, block, yield, get preempted, fork, leave and exit.
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
#include "tests/vm/vm_helpers.h"

namespace ghost {
namespace {

using ::ghost::testing::BlockedChild;
using ::ghost::testing::DestroyAllEnclaves;
using ::ghost::testing::ErrnoCode;
using ::ghost::testing::MoveToCfs;
using ::ghost::testing::PinTo;
using ::ghost::testing::RunAsNobody;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
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
  std::vector<ghost_msg> MessagesOf(uint64_t gtid, size_t n = 0,
                                    absl::Duration limit = absl::Seconds(5)) {
    const absl::Time end = absl::Now() + limit;
    std::vector<ghost_msg> out;
    for (;;) {
      Drain(*queue_);
      out.clear();
      for (const ghost_msg& m : seen_) {
        if (m.gtid == gtid) out.push_back(m);
      }
      if (out.size() >= n || absl::Now() >= end) return out;
      absl::SleepFor(absl::Milliseconds(5));
    }
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
  // Blocked once /proc says it sleeps.
  for (int i = 0; i < 2000; ++i) {
    absl::StatusOr<std::string> stat =
        ReadGhostfsFile(absl::StrCat("/proc/", pid, "/stat"));
    if (stat.ok() && stat->find(") S ") != std::string::npos) break;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return pid;
}

TEST_F(MessageTest, EventsOfAThreadArriveInOrderAndDepartedIsLast) {
  int wfd;
  const pid_t pid = ForkSignalWaiter(&wfd);
  ASSERT_GT(pid, 0);
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

  // Back in CFS it runs its handler and blocks again: nothing more comes.
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(MessagesOf(gtid).size(), 5u);

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

// The tests below need a ghost thread that runs: one that entered while
// running keeps its CPU until it blocks or anything else wants that CPU
// (K2). Another task may take the CPU first, and with no agent the thread
// then waits for good; such attempts are rescued and retried.
constexpr int kAttempts = 30;

// Forks a helper on CPU 2 that moves itself into `e` and then runs `body`.
template <typename Body>
pid_t ForkRunningGhost(const Enclave& e, Body body) {
  const pid_t pid = fork();
  if (pid == 0) {
    PinTo(2);
    if (!Enclave(e).AddTask(getpid()).ok()) _exit(3);
    body();
    _exit(0);
  }
  return pid;
}

// Runs attempts of `one` (which returns the types seen for its helper)
// until one sees `want`; returns what the last attempt saw.
template <typename Attempt>
std::string RetryUntil(const std::string& want, Attempt one) {
  const cpu_set_t saved = PinTo(0);  // CPU 2 is the helpers' alone
  std::string got;
  for (int i = 0; i < kAttempts && got != want; ++i) got = one();
  sched_setaffinity(0, sizeof(saved), &saved);
  return got;
}

TEST_F(MessageTest, AThreadThatExitsEndsWithDeadAndNeverBlocked) {
  const std::string got = RetryUntil("NEW DEAD", [&] {
    const pid_t pid = ForkRunningGhost(*enclave_, [] {});
    const uint64_t gtid = Gtid(pid);
    std::vector<ghost_msg> msgs = MessagesOf(gtid, 2, absl::Seconds(3));
    // It lost its CPU before exiting (no agent brings it back): rescue it.
    if (Types(msgs) != "NEW DEAD") MoveToCfs(pid);
    waitpid(pid, nullptr, 0);
    msgs = MessagesOf(gtid, 2, absl::Seconds(3));
    if (!msgs.empty()) {
      EXPECT_TRUE(msgs[0].flags & GHOST_MSG_F_ON_CPU) << "entered running";
    }
    return Types(msgs);
  });
  EXPECT_EQ(got, "NEW DEAD");
}

TEST_F(MessageTest, ARunningThreadThatBlocksSaysBlockedThenWakeup) {
  const std::string got = RetryUntil("NEW BLOCKED WAKEUP DEPARTED", [&] {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    const pid_t pid = ForkRunningGhost(*enclave_, [&] {
      char c;
      (void)read(fds[0], &c, 1);
    });
    const uint64_t gtid = Gtid(pid);
    std::vector<ghost_msg> msgs = MessagesOf(gtid, 2, absl::Seconds(3));
    if (Types(msgs) == "NEW BLOCKED") {
      const StatusWord w = WordOf(gtid);
      EXPECT_FALSE(w.on_cpu() || w.runnable());
      (void)write(fds[1], "x", 1);
      MessagesOf(gtid, 3, absl::Seconds(3));
      EXPECT_TRUE(WordOf(gtid).runnable());
    }
    MoveToCfs(pid);
    msgs = MessagesOf(gtid, 4, absl::Seconds(1));
    (void)write(fds[1], "x", 1);
    close(fds[0]);
    close(fds[1]);
    waitpid(pid, nullptr, 0);
    return Types(msgs);
  });
  EXPECT_EQ(got, "NEW BLOCKED WAKEUP DEPARTED");
}

TEST_F(MessageTest, ARunningThreadThatYieldsSaysYield) {
  const std::string got = RetryUntil("NEW YIELD DEPARTED", [&] {
    const pid_t pid = ForkRunningGhost(*enclave_, [] {
      sched_yield();
      for (;;) {
      }
    });
    const uint64_t gtid = Gtid(pid);
    MessagesOf(gtid, 2, absl::Seconds(3));
    MoveToCfs(pid);
    std::vector<ghost_msg> msgs = MessagesOf(gtid, 3, absl::Seconds(1));
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return Types(msgs);
  });
  EXPECT_EQ(got, "NEW YIELD DEPARTED");
}

TEST_F(MessageTest, ACfsTaskPreemptsARunningGhostThread) {
  const std::string got = RetryUntil("NEW PREEMPTED DEPARTED", [&] {
    const pid_t pid = ForkRunningGhost(*enclave_, [] {
      for (;;) {
      }
    });
    const uint64_t gtid = Gtid(pid);
    std::vector<ghost_msg> msgs = MessagesOf(gtid, 1, absl::Seconds(3));
    if (Types(msgs) == "NEW") {
      // A CFS task that wakes on CPU 2 takes it from the ghost thread.
      const pid_t hog = fork();
      if (hog == 0) {
        PinTo(2);
        _exit(0);
      }
      waitpid(hog, nullptr, 0);
      msgs = MessagesOf(gtid, 2, absl::Seconds(3));
      const StatusWord w = WordOf(gtid);
      EXPECT_TRUE(w.runnable());
      EXPECT_FALSE(w.on_cpu());
      EXPECT_GT(w.runtime, 0u);
    }
    MoveToCfs(pid);
    msgs = MessagesOf(gtid, 3, absl::Seconds(1));
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return Types(msgs);
  });
  EXPECT_EQ(got, "NEW PREEMPTED DEPARTED");
}

TEST_F(MessageTest, AForkedChildIsBornWithNewBeforeAnythingElse) {
  std::string child_types;
  const std::string got = RetryUntil("NEW DEPARTED", [&] {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    const pid_t pid = ForkRunningGhost(*enclave_, [&] {
      pid_t child = fork();
      if (child == 0) {
        for (;;) pause();
      }
      (void)write(fds[1], &child, sizeof(child));
      for (;;) pause();
    });
    const uint64_t gtid = Gtid(pid);
    pid_t child = -1;
    struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
    if (poll(&pfd, 1, 3000) == 1) (void)read(fds[0], &child, sizeof(child));
    MoveToCfs(pid);
    std::string parent = Types(MessagesOf(gtid, 2, absl::Seconds(1)));
    if (child > 0) {
      const uint64_t child_gtid = Gtid(child);
      MoveToCfs(child);
      std::vector<ghost_msg> msgs = MessagesOf(child_gtid, 2);
      child_types = Types(msgs);
      if (!msgs.empty()) {
        EXPECT_TRUE(msgs[0].flags & GHOST_MSG_F_FORKED);
        EXPECT_TRUE(msgs[0].flags & GHOST_MSG_F_RUNNABLE);
        EXPECT_EQ(msgs[0].seqnum, 1u);
      }
      kill(child, SIGKILL);
    }
    close(fds[0]);
    close(fds[1]);
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    // The parent pauses after the fork (BLOCKED) unless it leaves first.
    const bool parent_kept_its_cpu =
        parent == "NEW DEPARTED" || parent == "NEW BLOCKED DEPARTED";
    return parent_kept_its_cpu ? child_types : parent;
  });
  EXPECT_EQ(got, "NEW DEPARTED");
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
