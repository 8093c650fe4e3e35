// Enclaves in ghostfs (kernel rules K4, K5): creating and destroying them,
// exclusive CPU lists, moving threads in and out, and that a ghost thread
// does not run while no agent has latched it (K2).
#include "lib/abi/enclave.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/abi/ghost_run.h"
#include "lib/abi/ghostfs_mount.h"
#include "lib/uapi/linux/ghost.h"
#include "tests/vm/blocked_child.h"
#include "tests/vm/running_ghost.h"
#include "tests/vm/vm_helpers.h"
#include "tests/vm/wait_for.h"

namespace ghost {
namespace {

using ::ghost::testing::BlockedChild;
using ::ghost::testing::DestroyAllEnclaves;
using ::ghost::testing::ErrnoCode;
using ::ghost::testing::HoldsThroughout;
using ::ghost::testing::IsRunnable;
using ::ghost::testing::ReapWithin;
using ::ghost::testing::RunAsNobody;
using ::ghost::testing::WaitFor;
using ::ghost::testing::WaitForWord;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::IsSupersetOf;

constexpr char kMount[] = GHOSTFS_MOUNT_POINT;

uint64_t Gtid(pid_t tid) {
  absl::StatusOr<uint64_t> gtid = GetGtid(tid);
  EXPECT_TRUE(gtid.ok()) << gtid.status();
  return gtid.value_or(0);
}

// Nanoseconds thread `tid` has spent on a CPU (/proc/<tid>/schedstat).
uint64_t CpuTimeNs(pid_t tid) {
  absl::StatusOr<std::string> s =
      ReadGhostfsFile(absl::StrCat("/proc/", tid, "/schedstat"));
  uint64_t ns = 0;
  if (s.ok()) (void)absl::SimpleAtoi(s->substr(0, s->find(' ')), &ns);
  return ns;
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

class EnclaveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(EnsureGhostfsMounted(kMount).ok());
    DestroyAllEnclaves();
  }
  void TearDown() override { DestroyAllEnclaves(); }

  Enclave MustCreate(unsigned int id) {
    absl::StatusOr<Enclave> e = Enclave::Create(id);
    EXPECT_TRUE(e.ok()) << e.status();
    return e.ok() ? *e : Enclave(id, kMount);
  }
};

TEST_F(EnclaveTest, CreateMakesTheDirectoryWithItsFiles) {
  Enclave e = MustCreate(1);
  for (const char* file : {"ctl", "cpulist", "tasks", "status", "stats",
                           "sw_regions/sw_0"}) {
    EXPECT_TRUE(Exists(e.dir() + "/" + file)) << file;
  }
  absl::StatusOr<std::string> status = e.StatusText();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_THAT(*status, HasSubstr("id 1\n"));
  EXPECT_THAT(*status, HasSubstr("tasks 0\n"));
}

TEST_F(EnclaveTest, FileModesFollowK17) {
  Enclave e = MustCreate(1);
  auto mode = [](const std::string& path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
  };
  EXPECT_EQ(mode(std::string(kMount) + "/ctl"), 0600u);
  EXPECT_EQ(mode(e.dir()), 0555u);
  EXPECT_EQ(mode(e.dir() + "/ctl"), 0600u);
  EXPECT_EQ(mode(e.dir() + "/cpulist"), 0644u);
  EXPECT_EQ(mode(e.dir() + "/tasks"), 0644u);  // delegated by chown
  EXPECT_EQ(mode(e.dir() + "/status"), 0444u);
  EXPECT_EQ(mode(e.dir() + "/stats"), 0444u);
  EXPECT_EQ(mode(e.dir() + "/sw_regions"), 0500u);
  EXPECT_EQ(mode(e.dir() + "/sw_regions/sw_0"), 0400u);
}

TEST_F(EnclaveTest, CreatingAnExistingIdFailsWithEexist) {
  MustCreate(1);
  EXPECT_EQ(Enclave::Create(1).status().code(), ErrnoCode(EEXIST));
}

TEST_F(EnclaveTest, MalformedCtlWritesFailWithEinvalAndCreateNothing) {
  const std::string ctl = std::string(kMount) + "/ctl";
  for (const char* bad : {"create", "create x", "create 1 2", "create -1",
                          "frobnicate 1", "", "destroy"}) {
    EXPECT_EQ(WriteGhostfsFile(ctl, bad).code(), ErrnoCode(EINVAL))
        << "\"" << bad << "\"";
  }
  EXPECT_FALSE(Exists(std::string(kMount) + "/enclave_1"));
  EXPECT_FALSE(Exists(std::string(kMount) + "/enclave_2"));
}

TEST_F(EnclaveTest, DestroyThroughTopLevelCtlRemovesTheDirectory) {
  Enclave e = MustCreate(3);
  ASSERT_TRUE(WriteGhostfsFile(std::string(kMount) + "/ctl", "destroy 3").ok());
  EXPECT_FALSE(Exists(e.dir()));
}

TEST_F(EnclaveTest, DestroyThroughItsOwnCtlRemovesTheDirectory) {
  Enclave e = MustCreate(4);
  ASSERT_TRUE(e.Destroy().ok());
  EXPECT_FALSE(Exists(e.dir()));
  // The id is free again.
  EXPECT_TRUE(Enclave::Create(4).ok());
}

TEST_F(EnclaveTest, DestroyingAnUnknownEnclaveFailsWithEnoent) {
  EXPECT_EQ(WriteGhostfsFile(std::string(kMount) + "/ctl", "destroy 77").code(),
            ErrnoCode(ENOENT));
}

TEST_F(EnclaveTest, CpulistIsStoredAndReadBack) {
  Enclave e = MustCreate(1);
  EXPECT_EQ(*e.Cpus(), "");
  ASSERT_TRUE(e.SetCpus("1-2").ok());
  EXPECT_EQ(*e.Cpus(), "1-2");
  ASSERT_TRUE(e.SetCpus("3").ok());
  EXPECT_EQ(*e.Cpus(), "3");
  ASSERT_TRUE(e.SetCpus("").ok());
  EXPECT_EQ(*e.Cpus(), "");
}

TEST_F(EnclaveTest, CpusAreExclusiveToOneEnclave) {
  Enclave a = MustCreate(1);
  Enclave b = MustCreate(2);
  ASSERT_TRUE(a.SetCpus("1-2").ok());
  EXPECT_EQ(b.SetCpus("2-3").code(), ErrnoCode(EINVAL));
  EXPECT_EQ(*b.Cpus(), "");
  EXPECT_EQ(*a.Cpus(), "1-2");
  // Once a gives CPU 2 back, b may take it.
  ASSERT_TRUE(a.SetCpus("1").ok());
  EXPECT_TRUE(b.SetCpus("2-3").ok());
}

TEST_F(EnclaveTest, BadCpulistsFailWithEinvalAndChangeNothing) {
  Enclave e = MustCreate(1);
  ASSERT_TRUE(e.SetCpus("1").ok());
  for (const char* bad : {"abc", "1-", "-1", "3-1", "99", "0-99", "1,x"}) {
    EXPECT_EQ(e.SetCpus(bad).code(), ErrnoCode(EINVAL)) << bad;
    EXPECT_EQ(*e.Cpus(), "1") << "after " << bad;
  }
}

constexpr char kCpu3Online[] = "/sys/devices/system/cpu/cpu3/online";

TEST_F(EnclaveTest, AnOfflineCpuCannotJoin) {
  ASSERT_TRUE(WriteGhostfsFile(kCpu3Online, "0").ok());
  Enclave e = MustCreate(1);
  EXPECT_EQ(e.SetCpus("2-3").code(), ErrnoCode(EINVAL));
  EXPECT_EQ(*e.Cpus(), "");
  ASSERT_TRUE(WriteGhostfsFile(kCpu3Online, "1").ok());
  EXPECT_TRUE(e.SetCpus("2-3").ok());
}

TEST_F(EnclaveTest, ACpuGoingOfflineLeavesItsEnclaveForGood) {
  Enclave a = MustCreate(1);
  ASSERT_TRUE(a.SetCpus("2-3").ok());
  ASSERT_TRUE(WriteGhostfsFile(kCpu3Online, "0").ok());
  EXPECT_EQ(*a.Cpus(), "2");
  ASSERT_TRUE(WriteGhostfsFile(kCpu3Online, "1").ok());
  EXPECT_EQ(*a.Cpus(), "2");
  Enclave b = MustCreate(2);
  EXPECT_TRUE(b.SetCpus("3").ok());
}

TEST_F(EnclaveTest, ACpuWithAWaitingGhostThreadGoesOfflineWithoutHanging) {
  Enclave e = MustCreate(1);
  BlockedChild child;
  cpu_set_t cpu3;
  CPU_ZERO(&cpu3);
  CPU_SET(3, &cpu3);
  ASSERT_EQ(sched_setaffinity(child.pid(), sizeof(cpu3), &cpu3), 0);
  ASSERT_TRUE(e.AddTask(child.pid()).ok());
  child.Poke();  // runnable on CPU 3, waiting for an agent
  ASSERT_TRUE(WaitForWord(e.dir(), Gtid(child.pid()), IsRunnable));
  EXPECT_EQ(child.count(), 0);

  // The kernel must move the waiting thread off; it stays a ghost thread.
  ASSERT_TRUE(WriteGhostfsFile(kCpu3Online, "0").ok());
  EXPECT_EQ(sched_getscheduler(child.pid()), SCHED_GHOST);
  ASSERT_TRUE(WriteGhostfsFile(kCpu3Online, "1").ok());

  struct sched_param param = {.sched_priority = 0};
  ASSERT_EQ(sched_setscheduler(child.pid(), SCHED_OTHER, &param), 0);
  child.Poke('q');
  EXPECT_EQ(child.WaitExit(), 0);
}

TEST_F(EnclaveTest, DestroyReleasesTheCpus) {
  Enclave a = MustCreate(1);
  ASSERT_TRUE(a.SetCpus("1-3").ok());
  ASSERT_TRUE(a.Destroy().ok());
  Enclave b = MustCreate(2);
  EXPECT_TRUE(b.SetCpus("1-3").ok());
}

TEST_F(EnclaveTest, AMovedThreadBecomesGhostAndDoesNotRunWithoutAnAgent) {
  Enclave e = MustCreate(1);
  BlockedChild child;
  child.Poke();
  ASSERT_TRUE(child.WaitForCount(1));

  ASSERT_TRUE(e.AddTask(child.pid()).ok());
  EXPECT_EQ(sched_getscheduler(child.pid()), SCHED_GHOST);
  EXPECT_THAT(*e.Tasks(), ElementsAre(child.pid()));
  EXPECT_THAT(*e.StatusText(), HasSubstr("tasks 1\n"));

  // Woken, it is runnable, but nothing latches it: it must not run. No
  // state shows "will never run", so this watches a window: its CPU time
  // (/proc schedstat) moves the moment it runs at all, its count once it
  // reads the byte.
  child.Poke();
  ASSERT_TRUE(WaitForWord(e.dir(), Gtid(child.pid()), IsRunnable));
  const uint64_t ran_ns = CpuTimeNs(child.pid());
  EXPECT_TRUE(HoldsThroughout(
      [&] { return CpuTimeNs(child.pid()) == ran_ns && child.count() == 1; },
      absl::Milliseconds(300)));

  // Back to CFS, it runs again and catches up.
  struct sched_param param = {.sched_priority = 0};
  ASSERT_EQ(sched_setscheduler(child.pid(), SCHED_OTHER, &param), 0);
  EXPECT_TRUE(child.WaitForCount(2));
  EXPECT_EQ(sched_getscheduler(child.pid()), SCHED_OTHER);
  EXPECT_THAT(*e.Tasks(), IsEmpty());
}

TEST_F(EnclaveTest, DestroyReturnsItsThreadsToCfsAndTheyFinish) {
  Enclave e = MustCreate(1);
  BlockedChild a, b;
  ASSERT_TRUE(e.AddTask(a.pid()).ok());
  ASSERT_TRUE(e.AddTask(b.pid()).ok());
  a.Poke('q');
  b.Poke('q');
  // Both woken, waiting for an agent that never comes.
  ASSERT_TRUE(WaitForWord(e.dir(), Gtid(a.pid()), IsRunnable));
  ASSERT_TRUE(WaitForWord(e.dir(), Gtid(b.pid()), IsRunnable));
  EXPECT_EQ(a.count() + b.count(), 0);

  ASSERT_TRUE(e.Destroy().ok());
  EXPECT_EQ(a.WaitExit(), 0);
  EXPECT_EQ(b.WaitExit(), 0);
}

TEST_F(EnclaveTest, PlainSetschedulerToGhostFailsWithEinval) {
  BlockedChild child;
  struct sched_param param = {.sched_priority = 0};
  errno = 0;
  EXPECT_EQ(sched_setscheduler(child.pid(), SCHED_GHOST, &param), -1);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(sched_getscheduler(child.pid()), SCHED_OTHER);
}

TEST_F(EnclaveTest, MovingTwiceFailsEalreadyAndIntoAnotherEnclaveEbusy) {
  Enclave a = MustCreate(1);
  Enclave b = MustCreate(2);
  BlockedChild child;
  ASSERT_TRUE(a.AddTask(child.pid()).ok());
  EXPECT_EQ(a.AddTask(child.pid()).code(), ErrnoCode(EALREADY));
  EXPECT_EQ(b.AddTask(child.pid()).code(), ErrnoCode(EBUSY));
  EXPECT_THAT(*a.Tasks(), ElementsAre(child.pid()));
  EXPECT_THAT(*b.Tasks(), IsEmpty());
}

TEST_F(EnclaveTest, BadTidsAreRefused) {
  Enclave e = MustCreate(1);
  EXPECT_EQ(e.AddTask(999999).code(), ErrnoCode(ESRCH));
  EXPECT_EQ(WriteGhostfsFile(e.dir() + "/tasks", "abc").code(),
            ErrnoCode(EINVAL));
  EXPECT_EQ(WriteGhostfsFile(e.dir() + "/tasks", "0").code(),
            ErrnoCode(EINVAL));
  EXPECT_EQ(WriteGhostfsFile(e.dir() + "/tasks", "-5").code(),
            ErrnoCode(EINVAL));
  // kthreadd (pid 2) is a kernel thread: never a ghost thread.
  EXPECT_EQ(e.AddTask(2).code(), ErrnoCode(EPERM));
  EXPECT_THAT(*e.Tasks(), IsEmpty());
}

// The next two tests need a ghost thread that runs: a helper on CPU 2
// with an agent there (tests/vm/running_ghost.h).
class EnclaveWithAgentTest : public EnclaveTest {
 protected:
  void SetUp() override {
    EnclaveTest::SetUp();
    enclave_.emplace(MustCreate(1));
    ASSERT_TRUE(enclave_->SetCpus("2").ok());
    absl::StatusOr<std::unique_ptr<testing::CpuAgent>> agent =
        testing::CpuAgent::Start(*enclave_, 2);
    ASSERT_TRUE(agent.ok()) << agent.status();
    agent_ = std::move(*agent);
  }
  void TearDown() override {
    if (agent_) EXPECT_THAT(agent_->agent().problems(), IsEmpty());
    agent_.reset();
    EnclaveTest::TearDown();
  }

  std::optional<Enclave> enclave_;
  std::unique_ptr<testing::CpuAgent> agent_;
};

TEST_F(EnclaveWithAgentTest, AGhostThreadThatForksHasItsChildBornInTheEnclave) {
  const Enclave& e = *enclave_;
  int report_fds[2], done_fds[2];
  ASSERT_EQ(pipe(report_fds), 0);
  ASSERT_EQ(pipe(done_fds), 0);
  const pid_t helper = testing::ForkRunningGhost(e, 2, [&] {
    close(done_fds[1]);
    const pid_t child = fork();
    char c;
    if (child == 0) {
      (void)read(done_fds[0], &c, 1);
      _exit(0);
    }
    const pid_t report[2] = {child, sched_getscheduler(child)};
    (void)write(report_fds[1], report, sizeof(report));
    (void)read(done_fds[0], &c, 1);
    waitpid(child, nullptr, 0);
  });
  close(report_fds[1]);
  close(done_fds[0]);
  pid_t report[2] = {-1, -1};
  struct pollfd pfd = {.fd = report_fds[0], .events = POLLIN};
  ASSERT_EQ(poll(&pfd, 1, absl::ToInt64Milliseconds(testing::kWaitLimit)), 1);
  ASSERT_EQ(read(report_fds[0], report, sizeof(report)), sizeof(report));
  close(report_fds[0]);
  // Born a ghost thread, listed in its parent's enclave (with the agent).
  EXPECT_EQ(report[1], SCHED_GHOST);
  EXPECT_THAT(*e.Tasks(), IsSupersetOf({helper, report[0]}));
  close(done_fds[1]);  // both finish, under the agent
  int status = 0;
  ASSERT_TRUE(ReapWithin(helper, testing::kWaitLimit, &status));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

// A zombie can be reaped a moment before its last switch, when it leaves
// the enclave: "left" is when `e` no longer lists it.
TEST_F(EnclaveWithAgentTest, AGhostThreadThatExitsLeavesTheEnclave) {
  const Enclave& e = *enclave_;
  const pid_t helper = testing::ForkRunningGhost(e, 2, [] { _exit(7); });
  int status = 0;
  ASSERT_TRUE(ReapWithin(helper, testing::kWaitLimit, &status));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 7);
  EXPECT_TRUE(WaitFor([&] {
    absl::StatusOr<std::vector<pid_t>> tids = e.Tasks();
    return tids.ok() && !absl::c_linear_search(*tids, helper);
  })) << "it left the enclave";
  EXPECT_THAT(*e.StatusText(), HasSubstr("tasks 1\n")) << "the agent only";
}

TEST_F(EnclaveTest, NonRootCannotCreateAnEnclave) {
  const int rc = RunAsNobody([] {
    absl::Status s = WriteGhostfsFile(std::string(kMount) + "/ctl", "create 9");
    return s.code() == ErrnoCode(EACCES) ? 0 : 1;
  });
  EXPECT_EQ(rc, 0);
  EXPECT_FALSE(Exists(std::string(kMount) + "/enclave_9"));
}

// A user to whom the enclave's owner delegated tasks (chown) still needs
// the right to change the thread's policy.
TEST_F(EnclaveTest, NonRootCannotMoveAnotherUsersThread) {
  Enclave e = MustCreate(1);
  ASSERT_EQ(chown((e.dir() + "/tasks").c_str(), 65534, 65534), 0);
  BlockedChild roots_child;
  const pid_t victim = roots_child.pid();
  const int rc = RunAsNobody(
      [&] { return e.AddTask(victim).code() == ErrnoCode(EPERM) ? 0 : 1; });
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(sched_getscheduler(victim), SCHED_OTHER);
}

TEST_F(EnclaveTest, ADelegatedUserCanMoveItsOwnThread) {
  Enclave e = MustCreate(1);
  ASSERT_EQ(chown((e.dir() + "/tasks").c_str(), 65534, 65534), 0);
  const int rc = RunAsNobody([&] {
    BlockedChild own;
    if (!e.AddTask(own.pid()).ok()) return 1;
    return sched_getscheduler(own.pid()) == SCHED_GHOST ? 0 : 2;
  });
  EXPECT_EQ(rc, 0);
}

}  // namespace
}  // namespace ghost
