// Object lifetimes across an enclave's destruction (docs/kernel-rules.md
// K15, K16): whatever a user still holds when an enclave goes (a poll on
// one of its files, a commit in progress, a fork that fails) must not touch
// freed memory. These cases pass by not making the kernel report anything:
// the runner fails a case during which the kernel logged a KASAN, lockdep
// or WARN report (kernel_log_watch.h).
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <optional>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "lib/abi/cpu_data_region.h"
#include "lib/abi/enclave.h"
#include "lib/abi/fd.h"
#include "lib/abi/ghost_run.h"
#include "lib/abi/ghostfs_mount.h"
#include "lib/abi/message_queue.h"
#include "lib/uapi/linux/ghost.h"
#include "tests/vm/enclave_child.h"
#include "tests/vm/fifo_test_agent.h"
#include "tests/vm/gated_workers.h"
#include "tests/vm/vm_helpers.h"
#include "tests/vm/wait_for.h"

namespace ghost {
namespace {

using ::ghost::testing::DestroyAllEnclaves;
using ::ghost::testing::FifoTestAgent;
using ::ghost::testing::GatedWorkers;

pid_t Gettid() { return static_cast<pid_t>(syscall(SYS_gettid)); }

// The number of live enclaves the kernel counts (/sys/fs/ghost/objects).
int LiveEnclaves() {
  absl::StatusOr<std::string> text =
      ReadGhostfsFile(absl::StrCat(GHOSTFS_MOUNT_POINT, "/objects"));
  if (!text.ok()) return -1;
  int n = -1;
  sscanf(text->c_str(), "enclaves %d", &n);
  return n;
}

bool LiveEnclavesWithin(int want, absl::Duration limit) {
  return testing::WaitFor([want] { return LiveEnclaves() == want; }, limit);
}

class LifetimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(EnsureGhostfsMounted(GHOSTFS_MOUNT_POINT).ok());
    DestroyAllEnclaves();
    ASSERT_TRUE(LiveEnclavesWithin(0, absl::Seconds(10)))
        << "an earlier case left an enclave alive";
    absl::StatusOr<Enclave> e = Enclave::Create(24);
    ASSERT_TRUE(e.ok()) << e.status();
    enclave_.emplace(*e);
    ASSERT_TRUE(enclave_->SetCpus("1-2").ok());
  }
  void TearDown() override { DestroyAllEnclaves(); }

  std::optional<Enclave> enclave_;
};

// A poller of agent_online still waits in poll() when the enclave is
// destroyed and freed; its poll then ends (a timeout) and removes its
// wait-queue entry, which must not be in the freed enclave.
TEST_F(LifetimeTest, APollerOfAgentOnlineOutlivesItsEnclave) {
  Fd fd(open((enclave_->dir() + "/agent_online").c_str(), O_RDONLY));
  ASSERT_GE(fd.get(), 0);
  char buf[16];
  ASSERT_GT(read(fd.get(), buf, sizeof(buf)), 0);  // the count is seen
  std::atomic<pid_t> poller_tid{0};
  std::atomic<int> polled{-2};
  std::thread poller([&] {
    poller_tid.store(Gettid());
    struct pollfd p = {.fd = fd.get(), .events = POLLPRI | POLLERR};
    polled.store(poll(&p, 1, 3000));
  });
  ASSERT_TRUE(testing::WaitFor([&] { return poller_tid.load() != 0; }));
  ASSERT_TRUE(testing::WaitUntilBlocked(poller_tid.load())) << "in poll()";
  EXPECT_TRUE(enclave_->Destroy().ok());
  EXPECT_TRUE(LiveEnclavesWithin(0, absl::Seconds(10)))
      << "the enclave was not freed while the poll waited";
  poller.join();
  EXPECT_GE(polled.load(), 0) << "poll failed: " << strerror(errno);
}

// An agent commits in a loop while the enclave is destroyed under it: each
// commit either works or fails with an errno; none writes into a freed
// enclave's transaction slots.
TEST_F(LifetimeTest, CommitsRacingTheDestroyOfTheirEnclaveEndCleanly) {
  absl::StatusOr<Fd> dir = OpenEnclaveDir(enclave_->dir());
  ASSERT_TRUE(dir.ok());
  absl::StatusOr<CpuDataRegion> cpu_data = CpuDataRegion::Map(enclave_->dir());
  ASSERT_TRUE(cpu_data.ok());
  std::atomic<int> attached{0};  // 1: attached, -1: could not
  std::atomic<int> commits{0};
  std::atomic<int> last_error{0};
  std::thread agent([&] {
    if (!AttachAgent(dir->get(), 1).ok()) {
      attached.store(-1);
      return;
    }
    attached.store(1);
    const int cpu = 2;
    const absl::Time end = absl::Now() + absl::Seconds(10);
    while (absl::Now() < end) {
      // "Run nothing" on CPU 2: valid for as long as the enclave lives.
      CpuDataRegion::Fill(cpu_data->txn(cpu), GHOST_GTID_NONE, 0, 0, 0);
      absl::StatusOr<int> done = Commit(&cpu, 1, 0);
      if (!done.ok()) {
        last_error.store(static_cast<int>(done.status().code()));
        break;
      }
      commits.fetch_add(1);
    }
    testing::MoveToCfs(0);
  });
  (void)testing::WaitFor([&] { return attached.load() != 0; });
  if (attached.load() != 1) {
    agent.join();
    FAIL() << "could not attach the agent";
  }
  EXPECT_TRUE(testing::WaitFor(
      [&] { return commits.load() >= 100 || last_error.load() != 0; }));
  EXPECT_TRUE(enclave_->Destroy().ok());
  agent.join();
  EXPECT_NE(last_error.load(), 0)
      << "the agent went on committing after its enclave was destroyed";
  EXPECT_TRUE(LiveEnclavesWithin(0, absl::Seconds(10)));
}

// An unprivileged ghost process forks in a loop with CLONE_NEWNS, which
// copy_process() refuses (EPERM) well after the child joined the enclave
// (sched_fork() comes first); meanwhile another thread associates the
// gtids those children get. A child whose fork fails is freed at once by
// copy_process(), whatever references it has: the lookup must never hand
// one out. The race is narrow, so this is a stress case, judged by the
// kernel's reports (KASAN) and by every fork failing cleanly.
TEST_F(LifetimeTest, FailedForksRacingAssociationsTouchNoFreedChild) {
  std::unique_ptr<FifoTestAgent> agent_fifo;
  {
    absl::StatusOr<std::unique_ptr<FifoTestAgent>> a =
        FifoTestAgent::Start(*enclave_, 1);
    ASSERT_TRUE(a.ok()) << a.status();
    agent_fifo = std::move(*a);
  }
  // gtids are handed out in order: the children's come after a new one.
  uint64_t first_gtid = 0;
  std::thread([&] { first_gtid = *GetGtid(0) + 1; }).join();
  std::atomic<bool> forking{true};
  std::thread associator([&] {
    absl::StatusOr<Fd> dir = OpenEnclaveDir(enclave_->dir());
    if (!dir.ok()) return;
    absl::StatusOr<MessageQueue> q =
        MessageQueue::Create(dir->get(), 64, MessageQueue::kPlain);
    if (!q.ok()) return;
    while (forking.load()) {
      for (uint64_t g = first_gtid; g < first_gtid + 5000; ++g) {
        (void)q->Associate(g, 0);
      }
    }
  });
  // Exit code: 0 if every fork failed with EPERM, 1 if one succeeded, 2 if
  // one failed otherwise, 3 if it could not drop its privileges.
  const int code = testing::RunInEnclave(*enclave_, absl::Seconds(60), [] {
    if (setgid(65534) != 0 || setuid(65534) != 0) return 3;
    const absl::Time end = absl::Now() + absl::Seconds(5);
    for (int i = 0; i < 3000 && absl::Now() < end; ++i) {
      const long pid = syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0);
      if (pid == 0) _exit(0);
      if (pid > 0) return 1;
      if (errno != EPERM) return 2;
    }
    return 0;
  });
  forking.store(false);
  associator.join();
  EXPECT_EQ(code, 0);
}

}  // namespace
}  // namespace ghost
