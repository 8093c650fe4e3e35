// ghostctl, the user's command line, run as a user would run it in the VM:
// the real binary on the real kernel, its output and exit status checked.
#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/abi/enclave.h"
#include "lib/abi/ghostfs_mount.h"
#include "lib/uapi/linux/ghost.h"
#include "tests/vm/agent_fifo_process.h"
#include "tests/vm/blocked_child.h"
#include "tests/vm/fifo_test_agent.h"
#include "tests/vm/vm_helpers.h"
#include "tests/vm/wait_for.h"
#include "tools/ghostctl/json_reader.h"

namespace ghost {
namespace {

using ::ghost::ctl::JsonValue;
using ::ghost::ctl::ParseJson;
using ::ghost::testing::AgentFifoProcess;
using ::ghost::testing::BlockedChild;
using ::ghost::testing::DestroyAllEnclaves;
using ::ghost::testing::FifoTestAgent;
using ::ghost::testing::MoveToCfs;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAreArray;

constexpr char kGhostctl[] = "/ghost/bin/ghostctl";
constexpr uid_t kNobody = 65534;

struct Result {
  int exit_code;
  std::string output;  // stdout and stderr
};

// Runs `ghostctl args` through sh, as `uid` (root: 0), output captured.
Result GhostctlAs(uid_t uid, const std::string& args) {
  const std::string command = absl::StrCat(kGhostctl, " ", args, " 2>&1");
  int fds[2];
  if (pipe(fds) != 0) return {-1, "pipe failed"};
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], STDOUT_FILENO);
    if (uid != 0 && (setgid(uid) != 0 || setuid(uid) != 0)) _exit(100);
    execl("/bin/sh", "sh", "-c", command.c_str(), nullptr);
    _exit(101);
  }
  close(fds[1]);
  Result r{-1, ""};
  char buf[512];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) r.output.append(buf, n);
  close(fds[0]);
  int status;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

Result Ghostctl(const std::string& args) { return GhostctlAs(0, args); }

// The enclave's owner delegates it to `uid`, as with cgroup.procs.
void Delegate(int enclave, uid_t uid) {
  const std::string tasks =
      absl::StrCat(GHOSTFS_MOUNT_POINT, "/enclave_", enclave, "/tasks");
  ASSERT_EQ(chown(tasks.c_str(), uid, uid), 0) << strerror(errno);
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

std::string EnclaveDir(unsigned int id) {
  return absl::StrCat(GHOSTFS_MOUNT_POINT, "/enclave_", id);
}

std::vector<pid_t> TasksOf(unsigned int id) {
  absl::StatusOr<std::vector<pid_t>> tids =
      Enclave(id, GHOSTFS_MOUNT_POINT).Tasks();
  return tids.ok() ? *tids : std::vector<pid_t>{};
}

// A process with `n` threads (the main one included), all blocked in a
// pipe read. The destructor takes them out of ghost, then kills them.
class ThreadedChild {
 public:
  explicit ThreadedChild(int n) {
    int fds[2];
    pipe(fds);
    pid_ = fork();
    if (pid_ == 0) {
      close(fds[1]);
      for (int i = 1; i < n; ++i) {
        std::thread([fd = fds[0]] {
          char c;
          while (read(fd, &c, 1) == 1) {
          }
        }).detach();
      }
      char c;
      while (read(fds[0], &c, 1) == 1) {
      }
      _exit(0);
    }
    close(fds[0]);
    wfd_ = fds[1];
    WaitUntilAllBlocked(n);
  }
  ~ThreadedChild() {
    for (pid_t tid : Tids()) MoveToCfs(tid);
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    close(wfd_);
  }
  pid_t pid() const { return pid_; }

  std::vector<pid_t> Tids() const {
    std::vector<pid_t> tids;
    const std::string dir = absl::StrCat("/proc/", pid_, "/task");
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) return tids;
    while (struct dirent* e = readdir(d)) {
      pid_t tid;
      if (absl::SimpleAtoi(e->d_name, &tid) && tid > 0) tids.push_back(tid);
    }
    closedir(d);
    std::sort(tids.begin(), tids.end());
    return tids;
  }

 private:
  // A thread moved in while it runs keeps its CPU (K2): wait until all
  // `n` threads are blocked in their reads.
  void WaitUntilAllBlocked(int n) {
    const bool blocked = testing::WaitFor([&] {
      const std::vector<pid_t> tids = Tids();
      return static_cast<int>(tids.size()) == n &&
             absl::c_all_of(tids, testing::IsBlocked);
    });
    if (!blocked) ADD_FAILURE() << "the child's threads did not all block";
  }

  pid_t pid_ = -1;
  int wfd_ = -1;
};

class GhostctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(Exists(kGhostctl)) << kGhostctl << " is not in the VM";
    ASSERT_TRUE(EnsureGhostfsMounted(GHOSTFS_MOUNT_POINT).ok());
    DestroyAllEnclaves();
  }
  void TearDown() override { DestroyAllEnclaves(); }

  // Creates enclave 7 on CPU 1 with a FifoTestAgent there.
  std::unique_ptr<FifoTestAgent> EnclaveWithAgent() {
    Result r = Ghostctl("enclave create 7 --cpus 1");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    absl::StatusOr<std::unique_ptr<FifoTestAgent>> agent =
        FifoTestAgent::Start(Enclave(7, GHOSTFS_MOUNT_POINT), 1);
    EXPECT_TRUE(agent.ok()) << agent.status();
    return agent.ok() ? std::move(*agent) : nullptr;
  }
};

// --- status ---

TEST_F(GhostctlTest, StatusShowsMatchingAbiVersions) {
  Result r = Ghostctl("status");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr(absl::StrCat(
                            "kernel ABI version: ", GHOST_ABI_VERSION, "\n")));
  EXPECT_THAT(r.output, HasSubstr("(matches)"));
}

TEST_F(GhostctlTest, StatusMountsGhostfsWhenItIsNotMounted) {
  // Other mounts may exist; unmount ours until none is left at the point.
  while (UnmountGhostfs(GHOSTFS_MOUNT_POINT).ok()) {
  }
  ASSERT_FALSE(*IsGhostfsMounted(GHOSTFS_MOUNT_POINT));
  Result r = Ghostctl("status");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(*IsGhostfsMounted(GHOSTFS_MOUNT_POINT));
}

TEST_F(GhostctlTest, StatusJsonParsesWithStableKeys) {
  ASSERT_EQ(Ghostctl("enclave create 7").exit_code, 0);
  Result r = Ghostctl("status --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  absl::StatusOr<JsonValue> v = ParseJson(r.output);
  ASSERT_TRUE(v.ok()) << v.status() << ": " << r.output;
  EXPECT_EQ(v->Get("kernel_abi")->number, GHOST_ABI_VERSION);
  EXPECT_EQ(v->Get("ghostctl_abi")->number, GHOST_ABI_VERSION);
  EXPECT_TRUE(v->Get("abi_match")->boolean);
  ASSERT_EQ(v->Get("enclaves")->array.size(), 1u);
  EXPECT_EQ(v->Get("enclaves")->array[0].number, 7);
}

// --- enclave create / list / status / cpus / destroy ---

TEST_F(GhostctlTest, CreateListStatusDestroyRoundTrip) {
  Result r = Ghostctl("enclave create 7 --cpus 1-2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(*Enclave(7, GHOSTFS_MOUNT_POINT).Cpus(), "1-2");

  r = Ghostctl("enclave list");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("7        live   1-2"));

  r = Ghostctl("enclave status 7");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("enclave 7 (live)"));
  EXPECT_THAT(r.output, HasSubstr("cpus:      1-2"));
  EXPECT_THAT(r.output, HasSubstr("agents:    0"));
  EXPECT_THAT(r.output, HasSubstr("messages:  new 0"));
  EXPECT_THAT(r.output, HasSubstr("commits:   complete 0"));

  r = Ghostctl("enclave destroy 7");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(Exists(EnclaveDir(7)));
}

TEST_F(GhostctlTest, ListAndStatusJsonParse) {
  ASSERT_EQ(Ghostctl("enclave create 7 --cpus 1").exit_code, 0);
  BlockedChild child;
  ASSERT_EQ(Ghostctl(absl::StrCat("move 7 ", child.pid())).exit_code, 0);

  Result r = Ghostctl("enclave list --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  absl::StatusOr<JsonValue> list = ParseJson(r.output);
  ASSERT_TRUE(list.ok()) << list.status() << ": " << r.output;
  ASSERT_EQ(list->Get("enclaves")->array.size(), 1u);
  const JsonValue& e = list->Get("enclaves")->array[0];
  EXPECT_EQ(e.Get("id")->number, 7);
  EXPECT_EQ(e.Get("cpus")->string, "1");

  r = Ghostctl("enclave status 7 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  absl::StatusOr<JsonValue> s = ParseJson(r.output);
  ASSERT_TRUE(s.ok()) << s.status() << ": " << r.output;
  EXPECT_EQ(s->Get("tasks")->number, 1);
  EXPECT_EQ(s->Get("agents")->number, 0);
  EXPECT_EQ(s->Get("threads")->number, 1);
  ASSERT_EQ(s->Get("tids")->array.size(), 1u);
  EXPECT_EQ(s->Get("tids")->array[0].number, child.pid());
  // With no agent there is no queue: the thread's NEW is counted as such.
  EXPECT_EQ(s->Get("stats")->Get("msg_new")->number, 0);
  EXPECT_EQ(s->Get("stats")->Get("msg_no_queue")->number, 1);
  EXPECT_NE(s->Get("stats")->Get("txn_complete"), nullptr);
}

TEST_F(GhostctlTest, StatusCountsAnAgent) {
  std::unique_ptr<FifoTestAgent> agent = EnclaveWithAgent();
  ASSERT_NE(agent, nullptr);
  Result r = Ghostctl("enclave status 7 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  absl::StatusOr<JsonValue> s = ParseJson(r.output);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->Get("agents")->number, 1);
  EXPECT_EQ(s->Get("threads")->number, 0);
}

TEST_F(GhostctlTest, CreatingAnExistingEnclaveSaysSoAndFails) {
  ASSERT_EQ(Ghostctl("enclave create 7").exit_code, 0);
  Result r = Ghostctl("enclave create 7");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("enclave 7 exists already"));
}

TEST_F(GhostctlTest, AMalformedCpulistIsAUsageErrorNamingTheSyntax) {
  Result r = Ghostctl("enclave create 8 --cpus 1-x");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("expected CPU numbers and ranges"));
  EXPECT_FALSE(Exists(EnclaveDir(8)));
  ASSERT_EQ(Ghostctl("enclave create 7 --cpus 1").exit_code, 0);
  r = Ghostctl("enclave cpus 7 3-2");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(*Enclave(7, GHOSTFS_MOUNT_POINT).Cpus(), "1");
}

TEST_F(GhostctlTest, ACpuThatDoesNotExistFailsAndKeepsNoEnclave) {
  Result r = Ghostctl("enclave create 8 --cpus 99");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("CPU 99 does not exist or is offline"));
  EXPECT_FALSE(Exists(EnclaveDir(8)));
}

TEST_F(GhostctlTest, OverlappingCpusNameTheirOwnerAndChangeNothing) {
  ASSERT_EQ(Ghostctl("enclave create 7 --cpus 1").exit_code, 0);
  Result r = Ghostctl("enclave create 8 --cpus 1-2");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("CPU 1 belongs to enclave 7"));
  EXPECT_FALSE(Exists(EnclaveDir(8)));

  ASSERT_EQ(Ghostctl("enclave create 8 --cpus 2").exit_code, 0);
  r = Ghostctl("enclave cpus 8 1-2");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("CPU 1 belongs to enclave 7"));
  EXPECT_EQ(*Enclave(8, GHOSTFS_MOUNT_POINT).Cpus(), "2");
}

TEST_F(GhostctlTest, EnclaveCpusSetsAndReleases) {
  ASSERT_EQ(Ghostctl("enclave create 7").exit_code, 0);
  Result r = Ghostctl("enclave cpus 7 2-3");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(*Enclave(7, GHOSTFS_MOUNT_POINT).Cpus(), "2-3");
  r = Ghostctl("enclave cpus 7 ''");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(*Enclave(7, GHOSTFS_MOUNT_POINT).Cpus(), "");
}

TEST_F(GhostctlTest, AnUnknownEnclavePointsToEnclaveList) {
  for (const char* args :
       {"enclave status 42", "enclave destroy 42", "enclave cpus 42 1",
        "move 42 1", "run --enclave 42 -- true", "watch 42 --count 1"}) {
    Result r = Ghostctl(args);
    EXPECT_EQ(r.exit_code, 1) << args << ": " << r.output;
    EXPECT_THAT(r.output, HasSubstr("no enclave 42")) << args;
    EXPECT_THAT(r.output, HasSubstr("ghostctl enclave list")) << args;
  }
}

TEST_F(GhostctlTest, CreatingWithoutPermissionSaysWhatIsNeeded) {
  Result r = GhostctlAs(kNobody, "enclave create 9");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("needs root with CAP_SYS_NICE"));
  EXPECT_FALSE(Exists(EnclaveDir(9)));

  ASSERT_EQ(Ghostctl("enclave create 7").exit_code, 0);
  for (const char* args : {"enclave destroy 7", "enclave cpus 7 1"}) {
    r = GhostctlAs(kNobody, args);
    EXPECT_EQ(r.exit_code, 1) << args << ": " << r.output;
    EXPECT_THAT(r.output, HasSubstr("needs root with CAP_SYS_NICE")) << args;
  }
  EXPECT_TRUE(Exists(EnclaveDir(7)));
  EXPECT_EQ(*Enclave(7, GHOSTFS_MOUNT_POINT).Cpus(), "");

  // The missing privilege is named before any CPU conflict.
  ASSERT_EQ(Ghostctl("enclave cpus 7 1").exit_code, 0);
  r = GhostctlAs(kNobody, "enclave create 9 --cpus 1");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("needs root with CAP_SYS_NICE"));
}

// --- move ---

TEST_F(GhostctlTest, MoveMovesEveryThreadOfAProcess) {
  ASSERT_EQ(Ghostctl("enclave create 7 --cpus 1").exit_code, 0);
  ThreadedChild child(4);
  const std::vector<pid_t> tids = child.Tids();
  ASSERT_EQ(tids.size(), 4u);
  Result r = Ghostctl(absl::StrCat("move 7 ", child.pid()));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(TasksOf(7), UnorderedElementsAreArray(tids));
  for (pid_t tid : tids) {
    EXPECT_EQ(sched_getscheduler(tid), SCHED_GHOST) << tid;
    EXPECT_THAT(r.output, HasSubstr(absl::StrCat("tid ", tid, ": moved")));
  }
}

TEST_F(GhostctlTest, MoveThreadMovesOnlyThatThread) {
  ASSERT_EQ(Ghostctl("enclave create 7 --cpus 1").exit_code, 0);
  ThreadedChild child(3);
  const std::vector<pid_t> tids = child.Tids();
  ASSERT_EQ(tids.size(), 3u);
  const pid_t one = tids[1];
  Result r = Ghostctl(absl::StrCat("move 7 --thread ", one));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(TasksOf(7), std::vector<pid_t>{one});
  EXPECT_EQ(sched_getscheduler(tids[0]), SCHED_OTHER);
}

TEST_F(GhostctlTest, MovingAProcessThatDoesNotExistFails) {
  ASSERT_EQ(Ghostctl("enclave create 7").exit_code, 0);
  Result r = Ghostctl("move 7 999999");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("no process or thread 999999"));
  r = Ghostctl("move 7 --thread 999999");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("tid 999999: FAILED: No such process"));
}

TEST_F(GhostctlTest, APartialMoveSaysWhichMovedAndWhichFailed) {
  ASSERT_EQ(Ghostctl("enclave create 7 --cpus 1").exit_code, 0);
  ASSERT_EQ(Ghostctl("enclave create 8 --cpus 2").exit_code, 0);
  BlockedChild free_child, busy_child;
  ASSERT_EQ(Ghostctl(absl::StrCat("move 8 ", busy_child.pid())).exit_code, 0);

  Result r = Ghostctl(
      absl::StrCat("move 7 ", free_child.pid(), " ", busy_child.pid()));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output,
              HasSubstr(absl::StrCat("tid ", free_child.pid(), ": moved")));
  EXPECT_THAT(r.output, HasSubstr(absl::StrCat("tid ", busy_child.pid(),
                                               ": FAILED: Device or resource "
                                               "busy")));
  EXPECT_THAT(r.output, HasSubstr("[it is in enclave 8]"));
  EXPECT_THAT(r.output, HasSubstr("1 thread(s) moved"));
  EXPECT_EQ(TasksOf(7), std::vector<pid_t>{free_child.pid()});
  EXPECT_EQ(TasksOf(8), std::vector<pid_t>{busy_child.pid()});
}

TEST_F(GhostctlTest, MovingTwiceSaysAlreadyAndSucceeds) {
  ASSERT_EQ(Ghostctl("enclave create 7 --cpus 1").exit_code, 0);
  BlockedChild child;
  ASSERT_EQ(Ghostctl(absl::StrCat("move 7 ", child.pid())).exit_code, 0);
  Result r = Ghostctl(absl::StrCat("move 7 ", child.pid()));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("already in the enclave"));
}

TEST_F(GhostctlTest, MovingIntoAnEnclaveNotDelegatedSaysWhoMayDoIt) {
  ASSERT_EQ(Ghostctl("enclave create 7 --cpus 1").exit_code, 0);
  Result r = GhostctlAs(kNobody, "run --enclave 7 -- true");
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("delegate it (chown USER"));
}

TEST_F(GhostctlTest, MovingAnotherUsersThreadWithoutPermissionFails) {
  ASSERT_EQ(Ghostctl("enclave create 7 --cpus 1").exit_code, 0);
  Delegate(7, kNobody);
  BlockedChild root_child;
  Result r = GhostctlAs(kNobody, absl::StrCat("move 7 ", root_child.pid()));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Operation not permitted"));
  EXPECT_THAT(r.output, HasSubstr("CAP_SYS_NICE, or the same owner"));
  EXPECT_EQ(sched_getscheduler(root_child.pid()), SCHED_OTHER);
}

// --- run ---

TEST_F(GhostctlTest, RunPropagatesTheExitStatus) {
  std::unique_ptr<FifoTestAgent> agent = EnclaveWithAgent();
  ASSERT_NE(agent, nullptr);
  Result r = Ghostctl("run --enclave 7 -- sh -c 'exit 3'");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  r = Ghostctl("run --enclave 7 true");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_GE(agent->counters().commits, 2u);
}

TEST_F(GhostctlTest, RunPutsTheWholeCommandTreeInTheEnclave) {
  std::unique_ptr<FifoTestAgent> agent = EnclaveWithAgent();
  ASSERT_NE(agent, nullptr);
  // Field 41 of stat is the policy: the shell itself, then its child.
  Result r = Ghostctl(
      "run --enclave 7 -- sh -c "
      "'cut -d\" \" -f41 /proc/$$/stat; cut -d\" \" -f41 /proc/self/stat'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, absl::StrCat(SCHED_GHOST, "\n", SCHED_GHOST, "\n"));
}

TEST_F(GhostctlTest, RunOfAMissingCommandIs127) {
  std::unique_ptr<FifoTestAgent> agent = EnclaveWithAgent();
  ASSERT_NE(agent, nullptr);
  Result r = Ghostctl("run --enclave 7 -- /no/such/command");
  EXPECT_EQ(r.exit_code, 127) << r.output;
  EXPECT_THAT(r.output, HasSubstr("cannot run /no/such/command"));
}

TEST_F(GhostctlTest, AnUnprivilegedUserRunsItsOwnCommandInside) {
  std::unique_ptr<FifoTestAgent> agent = EnclaveWithAgent();
  ASSERT_NE(agent, nullptr);
  // Moving needs write access to tasks (delegated here) and the same owner
  // or CAP_SYS_NICE: nobody owns its command.
  Delegate(7, kNobody);
  Result r = GhostctlAs(kNobody, "run --enclave 7 -- sh -c 'exit 5'");
  EXPECT_EQ(r.exit_code, 5) << r.output;
}

// --qos: the command's first thread gets a class in a hint region that
// ghostctl hands to the agent. The command itself waits until the agent
// says it applied a hint (its counters), so nothing depends on timing.
TEST_F(GhostctlTest, RunWithQosHandsTheCommandsClassToTheAgent) {
  AgentFifoProcess agent({"--policy=shinjuku", "--cpus=1-2", "--enclave=8"},
                         "/ghost/bin/ghost_agent");
  ASSERT_TRUE(agent.WaitForOutput("ready", absl::Seconds(30)))
      << agent.output();
  Result r = Ghostctl(
      "run --enclave 8 --qos 3 -- sh -c 'for i in $(seq 500); do "
      "/ghost/bin/ghostctl agent status 8 | grep -Eq \"^ +hints +[1-9]\" "
      "&& exit 0; sleep 0.02; done; exit 1'");
  EXPECT_EQ(r.exit_code, 0) << r.output << agent.output();
  agent.Signal(SIGTERM);
  EXPECT_EQ(agent.WaitExit(absl::Seconds(10)), 0) << agent.output();
}

TEST_F(GhostctlTest, RunWithQosStartsNothingIfTheAgentTakesNoHints) {
  std::unique_ptr<FifoTestAgent> agent = EnclaveWithAgent();
  ASSERT_NE(agent, nullptr);
  unlink("/tmp/ghostctl_qos_ran");
  Result r = Ghostctl("run --enclave 7 --qos 1 -- touch /tmp/ghostctl_qos_ran");
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--qos needs the agent of enclave 7 to "
                                  "take a hint region"));
  EXPECT_THAT(r.output, HasSubstr("the command was not started"));
  EXPECT_FALSE(Exists("/tmp/ghostctl_qos_ran"));
  r = Ghostctl("run --enclave 7 --qos 4 -- true");
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--qos must be a class from 0"));
}

// --- watch ---

TEST_F(GhostctlTest, WatchCountTwoJsonParses) {
  ASSERT_EQ(Ghostctl("enclave create 7 --cpus 1").exit_code, 0);
  Result r = Ghostctl("watch 7 --count 2 --interval 200ms --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::vector<std::string> lines =
      absl::StrSplit(r.output, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << r.output;
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<JsonValue> v = ParseJson(lines[i]);
    ASSERT_TRUE(v.ok()) << v.status() << ": " << lines[i];
    EXPECT_EQ(v->Get("sample")->number, i + 1);
    EXPECT_EQ(v->Get("interval_ms")->number, 200);
    ASSERT_EQ(v->Get("enclaves")->array.size(), 1u);
    const JsonValue& e = v->Get("enclaves")->array[0];
    EXPECT_EQ(e.Get("id")->number, 7);
    EXPECT_EQ(e.Get("cpus")->string, "1");
    EXPECT_NE(e.Get("deltas")->Get("txn_complete"), nullptr);
    EXPECT_EQ(e.Get("commits")->number, 0);
  }
}

TEST_F(GhostctlTest, WatchCountsTheCommitsOfEachInterval) {
  std::unique_ptr<FifoTestAgent> agent = EnclaveWithAgent();
  ASSERT_NE(agent, nullptr);
  BlockedChild child;
  ASSERT_EQ(Ghostctl(absl::StrCat("move 7 ", child.pid())).exit_code, 0);
  std::atomic<bool> stop{false};
  std::thread poker([&] {
    while (!stop.load()) {
      child.Poke();
      absl::SleepFor(absl::Milliseconds(20));  // the workload's pace
    }
  });
  Result r = Ghostctl("watch 7 --count 1 --interval 1s --json");
  stop.store(true);
  poker.join();
  ASSERT_EQ(r.exit_code, 0) << r.output;
  absl::StatusOr<JsonValue> v = ParseJson(r.output);
  ASSERT_TRUE(v.ok()) << v.status() << ": " << r.output;
  const JsonValue& e = v->Get("enclaves")->array[0];
  EXPECT_GT(e.Get("commits")->number, 0) << r.output;
  EXPECT_GT(e.Get("deltas")->Get("msg_wakeup")->number, 0) << r.output;
  EXPECT_EQ(e.Get("agents")->number, 1);
  EXPECT_EQ(e.Get("threads")->number, 1);
}

TEST_F(GhostctlTest, WatchTextShowsEveryEnclave) {
  ASSERT_EQ(Ghostctl("enclave create 7 --cpus 1").exit_code, 0);
  ASSERT_EQ(Ghostctl("enclave create 8 --cpus 2").exit_code, 0);
  Result r = Ghostctl("watch --count 1 --interval 100ms");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("ENCLAVE"));
  EXPECT_THAT(r.output, HasSubstr("7        live   1"));
  EXPECT_THAT(r.output, HasSubstr("8        live   2"));
}

// --- misuse ---

TEST_F(GhostctlTest, MisuseFailsWithUsage) {
  for (const char* bad :
       {"", "frobnicate 1", "enclave create", "enclave create x", "move 7",
        "enclave cpus 7", "status extra", "run --enclave 7", "watch --count x",
        "create 7"}) {
    Result r = Ghostctl(bad);
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.output;
    EXPECT_THAT(r.output, HasSubstr("usage:")) << bad;
  }
  EXPECT_FALSE(Exists(EnclaveDir(7)));
}

}  // namespace
}  // namespace ghost
