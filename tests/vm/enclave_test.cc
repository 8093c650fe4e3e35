// Enclaves in ghostfs (KERNEL.md K4, K5): creating and destroying them,
// exclusive CPU lists, moving threads in and out, and that a ghost thread
// does not run while no agent has latched it (K2).
#include "lib/enclave.h"

#include <dirent.h>
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

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/ghostfs_mount.h"
#include "lib/uapi/linux/ghost.h"
#include "tests/vm/blocked_child.h"

namespace ghost {
namespace {

using ::ghost::testing::BlockedChild;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr char kMount[] = GHOSTFS_MOUNT_POINT;

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

absl::StatusCode ErrnoCode(int err) { return absl::ErrnoToStatusCode(err); }

// Destroys every enclave left behind, so one failing test cannot break the
// next ones.
void DestroyAllEnclaves() {
  DIR* dir = opendir(kMount);
  if (dir == nullptr) return;
  std::vector<std::string> names;
  while (struct dirent* e = readdir(dir)) {
    std::string name = e->d_name;
    if (name.rfind("enclave_", 0) == 0) names.push_back(name.substr(8));
  }
  closedir(dir);
  for (const std::string& id : names) {
    (void)WriteGhostfsFile(std::string(kMount) + "/ctl", "destroy " + id);
  }
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
  for (const char* file : {"ctl", "cpulist", "tasks", "status"}) {
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
  EXPECT_EQ(mode(e.dir() + "/tasks"), 0666u);
  EXPECT_EQ(mode(e.dir() + "/status"), 0444u);
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
  absl::SleepFor(absl::Milliseconds(200));
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

  // Woken, it is runnable, but nothing latches it: it must not run.
  child.Poke();
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(child.count(), 1);

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
  absl::SleepFor(absl::Milliseconds(200));
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

TEST_F(EnclaveTest, AGhostThreadThatKeepsRunningForksIntoTheEnclave) {
  Enclave e = MustCreate(1);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t helper = fork();
  if (helper == 0) {
    // Enter ghost while running: a current ghost thread keeps its CPU
    // until it blocks or is preempted (K2), so it can still fork.
    if (!e.AddTask(getpid()).ok()) _exit(3);
    const pid_t child = fork();
    if (child == 0) _exit(0);
    (void)write(fds[1], &child, sizeof(child));
    for (;;) {
    }
  }
  close(fds[1]);
  struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
  pid_t child = -1;
  const bool reported = poll(&pfd, 1, 10000) == 1 &&
                        read(fds[0], &child, sizeof(child)) == sizeof(child);
  close(fds[0]);
  if (reported) {
    EXPECT_EQ(sched_getscheduler(child), SCHED_GHOST);
    EXPECT_THAT(*e.Tasks(), UnorderedElementsAre(helper, child));
  } else {
    ADD_FAILURE() << "the ghost helper did not report its child (it was "
                     "probably preempted before it could fork)";
  }
  // Destroying the enclave lets the child run and exit.
  ASSERT_TRUE(e.Destroy().ok());
  if (reported) {
    // The child is the helper's: it has run and exited once /proc shows
    // it as a zombie (or it is gone).
    const std::string stat_path = absl::StrCat("/proc/", child, "/stat");
    bool exited = false;
    for (int i = 0; i < 2000 && !exited; ++i) {
      absl::StatusOr<std::string> stat = ReadGhostfsFile(stat_path);
      exited = !stat.ok() || stat->find(") Z ") != std::string::npos;
      if (!exited) absl::SleepFor(absl::Milliseconds(5));
    }
    EXPECT_TRUE(exited) << "the forked ghost child did not run after destroy";
  }
  kill(helper, SIGKILL);
  waitpid(helper, nullptr, 0);
}

TEST_F(EnclaveTest, AGhostThreadThatExitsLeavesTheEnclave) {
  Enclave e = MustCreate(1);
  const pid_t helper = fork();
  if (helper == 0) {
    if (!e.AddTask(getpid()).ok()) _exit(3);
    _exit(7);
  }
  int status = 0;
  const absl::Time end = absl::Now() + absl::Seconds(10);
  pid_t reaped = 0;
  while (absl::Now() < end &&
         (reaped = waitpid(helper, &status, WNOHANG)) == 0) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  if (reaped != helper) {
    ASSERT_TRUE(e.Destroy().ok());  // let it finish under CFS
    waitpid(helper, &status, 0);
    ADD_FAILURE() << "the exiting ghost thread was stuck until destroy";
  }
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 7);
  EXPECT_THAT(*e.Tasks(), IsEmpty());
  EXPECT_THAT(*e.StatusText(), HasSubstr("tasks 0\n"));
}

TEST_F(EnclaveTest, RacingEntryLeaveAndDestroyStrandNoThread) {
  // Threads enter, are taken out and are evicted by destroy, all at once,
  // while being woken; afterwards every one of them must still run.
  constexpr int kChildren = 6;
  constexpr int kRounds = 60;
  std::vector<std::unique_ptr<BlockedChild>> children;
  for (int i = 0; i < kChildren; ++i) {
    children.push_back(std::make_unique<BlockedChild>());
  }
  std::atomic<bool> stop{false};
  std::thread mover([&] {
    for (int r = 0; r < kRounds; ++r) {
      absl::StatusOr<Enclave> e = Enclave::Create(5);
      if (!e.ok()) continue;
      for (auto& c : children) (void)e->AddTask(c->pid());
      (void)e->Destroy();
    }
  });
  std::thread leaver([&] {
    struct sched_param param = {.sched_priority = 0};
    while (!stop.load()) {
      for (auto& c : children)
        sched_setscheduler(c->pid(), SCHED_OTHER, &param);
    }
  });
  std::thread poker([&] {
    while (!stop.load()) {
      for (auto& c : children) c->Poke();
      absl::SleepFor(absl::Milliseconds(1));
    }
  });
  mover.join();
  stop.store(true);
  leaver.join();
  poker.join();

  DestroyAllEnclaves();
  for (auto& c : children) {
    EXPECT_EQ(sched_getscheduler(c->pid()), SCHED_OTHER);
    c->Poke('q');
  }
  for (auto& c : children) EXPECT_EQ(c->WaitExit(), 0) << "stranded";
}

// Runs `body` in a child process with uid/gid 65534; returns its exit code.
int RunAsNobody(const std::function<int()>& body) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(100);
    _exit(body());
  }
  int status;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 101;
}

TEST_F(EnclaveTest, NonRootCannotCreateAnEnclave) {
  const int rc = RunAsNobody([] {
    absl::Status s = WriteGhostfsFile(std::string(kMount) + "/ctl", "create 9");
    return s.code() == ErrnoCode(EACCES) ? 0 : 1;
  });
  EXPECT_EQ(rc, 0);
  EXPECT_FALSE(Exists(std::string(kMount) + "/enclave_9"));
}

TEST_F(EnclaveTest, NonRootCannotMoveAnotherUsersThread) {
  Enclave e = MustCreate(1);
  BlockedChild roots_child;
  const pid_t victim = roots_child.pid();
  const int rc = RunAsNobody(
      [&] { return e.AddTask(victim).code() == ErrnoCode(EPERM) ? 0 : 1; });
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(sched_getscheduler(victim), SCHED_OTHER);
}

TEST_F(EnclaveTest, NonRootCanMoveItsOwnThread) {
  Enclave e = MustCreate(1);
  const int rc = RunAsNobody([&] {
    BlockedChild own;
    if (!e.AddTask(own.pid()).ok()) return 1;
    return sched_getscheduler(own.pid()) == SCHED_GHOST ? 0 : 2;
  });
  EXPECT_EQ(rc, 0);
}

}  // namespace
}  // namespace ghost
