// The permission matrix (kernel rule K17), enforced by the kernel: a user
// who is not root, and root without CAP_SYS_NICE, may not control
// enclaves, map their shared memory or act as agents; anyone may move their
// own threads in, nobody may move another user's.
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/abi/enclave.h"
#include "lib/abi/fd.h"
#include "lib/abi/ghost_run.h"
#include "lib/abi/ghostfs_mount.h"
#include "lib/abi/message_queue.h"
#include "lib/uapi/linux/ghost.h"
#include "tests/vm/blocked_child.h"
#include "tests/vm/vm_helpers.h"

namespace ghost {
namespace {

using ::ghost::testing::BlockedChild;
using ::ghost::testing::DestroyAllEnclaves;
using ::ghost::testing::ErrnoCode;
using ::ghost::testing::RunAsNobody;

// Runs `body` in a child that is root but dropped CAP_SYS_NICE from its
// effective set; returns its exit code.
int RunWithoutCapSysNice(const std::function<int()>& body) {
  const pid_t pid = fork();
  if (pid == 0) {
    __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3,
                                    .pid = 0};
    __user_cap_data_struct data[2] = {};
    if (syscall(SYS_capget, &hdr, data) != 0) _exit(100);
    data[0].effective &= ~(1u << CAP_SYS_NICE);
    if (syscall(SYS_capset, &hdr, data) != 0) _exit(101);
    _exit(body());
  }
  int status;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 102;
}

// The errno of opening `path` with `flags` (0 if it opens).
int OpenErrno(const std::string& path, int flags) {
  Fd fd(open(path.c_str(), flags));
  return fd.get() >= 0 ? 0 : errno;
}

// The errno of mapping `path` (opened read-only) with `prot` (0: mapped).
int MapErrno(const std::string& path, int prot) {
  Fd fd(open(path.c_str(), prot & PROT_WRITE ? O_RDWR : O_RDONLY));
  if (fd.get() < 0) return errno;
  void* p = mmap(nullptr, 4096, prot, MAP_SHARED, fd.get(), 0);
  if (p == MAP_FAILED) return errno;
  munmap(p, 4096);
  return 0;
}

// The errno of one write of `text` to `path` (0 if it succeeds).
int WriteErrno(const std::string& path, const std::string& text) {
  Fd fd(open(path.c_str(), O_WRONLY));
  if (fd.get() < 0) return errno;
  return write(fd.get(), text.data(), text.size()) < 0 ? errno : 0;
}

// The errno of a ghost_run operation (0 if it succeeds).
int OpErrno(unsigned int op, void* args, unsigned int size) {
  return syscall(__NR_ghost_run, op, args, size) < 0 ? errno : 0;
}

class PermissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(EnsureGhostfsMounted(GHOSTFS_MOUNT_POINT).ok());
    DestroyAllEnclaves();
    absl::StatusOr<Enclave> e = Enclave::Create(18);
    ASSERT_TRUE(e.ok()) << e.status();
    enclave_.emplace(*e);
    ASSERT_TRUE(enclave_->SetCpus("1-2").ok());
  }
  void TearDown() override { DestroyAllEnclaves(); }

  std::string File(const std::string& name) {
    return absl::StrCat(enclave_->dir(), "/", name);
  }

  // Every control operation must fail; `denied` is the errno expected for
  // those the file modes already stop (EACCES for other users), while
  // the kernel's own check says EPERM.
  int Matrix(int denied) {
    int bad = 0;
    auto expect = [&](const char* what, int got, int want) {
      if (got != want) {
        fprintf(stderr, "  %s: errno %d, expected %d\n", what, got, want);
        ++bad;
      }
    };
    const std::string top = absl::StrCat(GHOSTFS_MOUNT_POINT, "/ctl");
    expect("create", WriteErrno(top, "create 19"), denied);
    expect("destroy", WriteErrno(File("ctl"), "destroy"), denied);
    expect("cpulist", WriteErrno(File("cpulist"), "1"), denied);
    expect("deliver_ticks", WriteErrno(File("deliver_ticks"), "1"), denied);
    expect("runnable_timeout", WriteErrno(File("runnable_timeout"), "0"),
           denied);
    expect("map cpu_data", MapErrno(File("cpu_data"), PROT_READ | PROT_WRITE),
           denied);
    expect("map sw_0", MapErrno(File("sw_regions/sw_0"), PROT_READ), denied);
    Fd dir(open(enclave_->dir().c_str(), O_RDONLY | O_DIRECTORY));
    ghost_create_queue_args q = {.enclave_fd = dir.get(), .nelems = 64};
    expect("create queue", OpErrno(GHOST_OP_CREATE_QUEUE, &q, sizeof(q)),
           EPERM);
    ghost_agent_attach_args a = {.enclave_fd = dir.get(), .cpu = 1};
    expect("attach agent", OpErrno(GHOST_OP_AGENT_ATTACH, &a, sizeof(a)),
           EPERM);
    const int cpu = 1;
    ghost_commit_args c = {.cpus = reinterpret_cast<uint64_t>(&cpu),
                           .nr_cpus = 1};
    expect("commit", OpErrno(GHOST_OP_COMMIT, &c, sizeof(c)), EPERM);
    ghost_sw_args sw = {.enclave_fd = dir.get()};
    expect("status word info", OpErrno(GHOST_OP_SW_INFO, &sw, sizeof(sw)),
           EPERM);
    return bad;
  }

  std::optional<Enclave> enclave_;
};

TEST_F(PermissionTest, AnotherUserCanControlNothing) {
  EXPECT_EQ(RunAsNobody([&] { return Matrix(EACCES); }), 0);
  EXPECT_EQ(*enclave_->Cpus(), "1-2") << "nothing changed";
}

TEST_F(PermissionTest, RootWithoutCapSysNiceCanControlNothing) {
  EXPECT_EQ(RunWithoutCapSysNice([&] { return Matrix(EPERM); }), 0);
  EXPECT_EQ(*enclave_->Cpus(), "1-2") << "nothing changed";
}

// Another user can move no thread in, not even its own: an agent that does
// not know the thread would leave it unrun and the watchdog would end the
// enclave. Nor can it exhaust the enclave's status words that way.
TEST_F(PermissionTest, AnotherUserCannotMoveItsOwnThreadIn) {
  const std::string tasks = File("tasks");
  const int rc = RunAsNobody([&] {
    const pid_t mine = fork();
    if (mine == 0) {
      pause();
      _exit(0);
    }
    const int err = WriteErrno(tasks, absl::StrCat(mine));
    kill(mine, SIGKILL);
    waitpid(mine, nullptr, 0);
    return err == EACCES ? 0 : 1;
  });
  EXPECT_EQ(rc, 0);
  absl::StatusOr<std::vector<pid_t>> members = enclave_->Tasks();
  ASSERT_TRUE(members.ok()) << members.status();
  EXPECT_THAT(*members, ::testing::IsEmpty());
}

// The enclave's owner delegates it as with cgroup.procs: chown of tasks.
// The delegated user then moves its own threads, and still not others'.
TEST_F(PermissionTest, ADelegatedUserMovesTheirOwnThreadsButNotOthers) {
  BlockedChild roots;  // root's process
  const std::string tasks = File("tasks");
  ASSERT_EQ(chown(tasks.c_str(), 65534, 65534), 0) << strerror(errno);
  const pid_t root_pid = roots.pid();
  const int rc = RunAsNobody([&] {
    if (WriteErrno(tasks, absl::StrCat(root_pid)) != EPERM) return 1;
    // A child of our own: same owner, so it may go in.
    const pid_t mine = fork();
    if (mine == 0) {
      pause();
      _exit(0);
    }
    const bool blocked = testing::WaitUntilBlocked(mine);
    const int err = blocked ? WriteErrno(tasks, absl::StrCat(mine)) : -1;
    kill(mine, SIGKILL);
    waitpid(mine, nullptr, 0);
    return !blocked ? 3 : err == 0 ? 0 : 2;
  });
  EXPECT_EQ(rc, 0);
}

// What `ls -l` shows an operator: tasks is root's, writable by root alone.
TEST_F(PermissionTest, ANewEnclavesTasksFileIsRootsAlone) {
  struct stat st;
  ASSERT_EQ(stat(File("tasks").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_EQ(st.st_uid, 0u);
}

TEST_F(PermissionTest, AnyoneMayReadTheirGtid) {
  EXPECT_EQ(RunAsNobody([] { return GetGtid().ok() ? 0 : 1; }), 0);
}

}  // namespace
}  // namespace ghost
