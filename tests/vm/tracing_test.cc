// Tracepoints (kernel rule K19): every message, commit result and latch is
// a "ghost" trace event, readable through tracefs and usable with perf and
// trace-cmd as docs/tracing.md shows.
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

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
#include "tests/vm/blocked_child.h"
#include "tests/vm/fifo_test_agent.h"
#include "tests/vm/vm_helpers.h"

namespace ghost {
namespace {

using ::ghost::testing::BlockedChild;
using ::ghost::testing::DestroyAllEnclaves;
using ::ghost::testing::FifoTestAgent;
using ::testing::HasSubstr;

constexpr char kTracefs[] = "/sys/kernel/tracing";

// Mounts tracefs if needed; false if the kernel has none.
bool EnsureTracefs() {
  const std::string probe = absl::StrCat(kTracefs, "/events");
  if (access(probe.c_str(), F_OK) == 0) return true;
  mkdir(kTracefs, 0755);
  return mount("tracefs", kTracefs, "tracefs", 0, nullptr) == 0;
}

absl::Status WriteTracefs(const std::string& file, const std::string& text) {
  return WriteGhostfsFile(absl::StrCat(kTracefs, "/", file), text);
}

// Runs `argv` to completion, its output in /tmp/<argv[0]>.log (printed
// if it fails); returns its exit status (or -1).
int RunCommand(const std::vector<std::string>& argv) {
  const std::string log = absl::StrCat("/tmp/", argv[0], ".log");
  const pid_t pid = fork();
  if (pid == 0) {
    // Away from our stdout: a nested test run's TAP lines are not ours.
    if (!freopen(log.c_str(), "w", stdout) || dup2(1, 2) < 0) _exit(126);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status;
  if (waitpid(pid, &status, 0) != pid) return -1;
  const int rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (rc != 0) {
    absl::StatusOr<std::string> out = ReadGhostfsFile(log);
    fprintf(stderr, "%s exited with %d:\n%s\n", argv[0].c_str(), rc,
            out.ok() ? out->c_str() : "(no output)");
  }
  return rc;
}

// The count of `event` in `perf stat -x,` output ("<count>,,<event>,..."),
// or -1 if it is not there.
long PerfCount(const std::string& csv, const std::string& event) {
  for (absl::string_view line : absl::StrSplit(csv, '\n')) {
    std::vector<absl::string_view> fields = absl::StrSplit(line, ',');
    long count;
    if (fields.size() > 2 && fields[2] == event &&
        absl::SimpleAtoi(fields[0], &count)) {
      return count;
    }
  }
  return -1;
}

class TracingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(EnsureGhostfsMounted(GHOSTFS_MOUNT_POINT).ok());
    ASSERT_TRUE(EnsureTracefs()) << "tracefs: " << strerror(errno);
    DestroyAllEnclaves();
    absl::StatusOr<Enclave> e = Enclave::Create(13);
    ASSERT_TRUE(e.ok()) << e.status();
    enclave_.emplace(*e);
    ASSERT_TRUE(enclave_->SetCpus("1-2").ok());
  }
  void TearDown() override {
    (void)WriteTracefs("events/ghost/enable", "0");
    DestroyAllEnclaves();
  }

  // One thread woken five times under an agent: messages, commits, latches.
  void ScheduleSomething() {
    absl::StatusOr<std::unique_ptr<FifoTestAgent>> agent =
        FifoTestAgent::Start(*enclave_, 1);
    ASSERT_TRUE(agent.ok()) << agent.status();
    BlockedChild child;
    ASSERT_TRUE(enclave_->AddTask(child.pid()).ok());
    for (int i = 1; i <= 5; ++i) {
      child.Poke();
      ASSERT_TRUE(child.WaitForCount(i));
    }
  }

  std::optional<Enclave> enclave_;
};

TEST_F(TracingTest, TheThreeEventsExist) {
  for (const char* event : {"ghost_msg", "ghost_commit", "ghost_latch"}) {
    EXPECT_EQ(access(absl::StrCat(kTracefs, "/events/ghost/", event, "/format")
                         .c_str(),
                     F_OK),
              0)
        << event;
  }
}

TEST_F(TracingTest, ASchedulingRoundIsTracedWithNames) {
  ASSERT_TRUE(WriteTracefs("trace", "").ok());  // clears the buffer
  ASSERT_TRUE(WriteTracefs("events/ghost/enable", "1").ok());
  ScheduleSomething();
  ASSERT_TRUE(WriteTracefs("events/ghost/enable", "0").ok());
  absl::StatusOr<std::string> trace =
      ReadGhostfsFile(absl::StrCat(kTracefs, "/trace"));
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_THAT(*trace, HasSubstr("ghost_msg: enclave=13 type=NEW"));
  EXPECT_THAT(*trace, HasSubstr("type=WAKEUP"));
  EXPECT_THAT(*trace, HasSubstr("queued"));
  EXPECT_THAT(*trace, HasSubstr("ghost_commit: enclave=13 cpu=1"));
  EXPECT_THAT(*trace, HasSubstr("result=COMPLETE"));
  EXPECT_THAT(*trace, HasSubstr("ghost_latch: cpu=1 gtid="));
}

// The workload the perf and trace-cmd tests trace: this binary again,
// running only this case, which schedules a thread in an enclave of its
// own. Disabled: it runs only when named.
TEST(TracingWorkload, DISABLED_ScheduleAThread) {
  ASSERT_TRUE(EnsureGhostfsMounted(GHOSTFS_MOUNT_POINT).ok());
  absl::StatusOr<Enclave> e = Enclave::Create(24);
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_TRUE(e->SetCpus("1-2").ok());
  {
    absl::StatusOr<std::unique_ptr<FifoTestAgent>> agent =
        FifoTestAgent::Start(*e, 1);
    ASSERT_TRUE(agent.ok()) << agent.status();
    BlockedChild child;
    ASSERT_TRUE(e->AddTask(child.pid()).ok());
    for (int i = 1; i <= 5; ++i) {
      child.Poke();
      ASSERT_TRUE(child.WaitForCount(i));
    }
  }
  ASSERT_TRUE(e->Destroy().ok());
}

// `tool args... -- <this binary running the workload>`; true if all exit 0.
bool TraceTheWorkload(std::vector<std::string> argv) {
  // The path now: /proc/self/exe in the tool's child would be the tool.
  char self[4096] = {};
  if (readlink("/proc/self/exe", self, sizeof(self) - 1) <= 0) return false;
  argv.push_back(self);
  argv.push_back("--gtest_also_run_disabled_tests");
  argv.push_back("--gtest_filter=TracingWorkload.DISABLED_ScheduleAThread");
  return RunCommand(argv) == 0;
}

class TracingToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(EnsureGhostfsMounted(GHOSTFS_MOUNT_POINT).ok());
    ASSERT_TRUE(EnsureTracefs());
    DestroyAllEnclaves();
  }
  void TearDown() override { DestroyAllEnclaves(); }
};

TEST_F(TracingToolsTest, PerfCountsGhostEvents) {
  const std::string out = "/tmp/perf-ghost.csv";
  ASSERT_TRUE(TraceTheWorkload({"perf", "stat", "-x,", "-o", out, "-a", "-e",
                                "ghost:ghost_msg,ghost:ghost_commit", "--"}));
  absl::StatusOr<std::string> csv = ReadGhostfsFile(out);
  ASSERT_TRUE(csv.ok()) << csv.status();
  EXPECT_GT(PerfCount(*csv, "ghost:ghost_msg"), 0) << *csv;
  EXPECT_GT(PerfCount(*csv, "ghost:ghost_commit"), 0) << *csv;
}

TEST_F(TracingToolsTest, TraceCmdRecordsAndReportsGhostEventsByName) {
  EXPECT_EQ(RunCommand({"trace-cmd", "list", "-e", "ghost"}), 0);
  const std::string dat = "/tmp/ghost-trace.dat";
  ASSERT_TRUE(TraceTheWorkload(
      {"trace-cmd", "record", "-q", "-o", dat, "-e", "ghost"}));
  const std::string txt = "/tmp/ghost-trace.txt";
  const pid_t report = fork();
  if (report == 0) {
    if (!freopen(txt.c_str(), "w", stdout)) _exit(126);
    execlp("trace-cmd", "trace-cmd", "report", "-i", dat.c_str(), nullptr);
    _exit(127);
  }
  int status;
  ASSERT_EQ(waitpid(report, &status, 0), report);
  absl::StatusOr<std::string> text = ReadGhostfsFile(txt);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_THAT(*text, HasSubstr("type=NEW"));
  EXPECT_THAT(*text, HasSubstr("ghost_commit:"));
  EXPECT_THAT(*text, HasSubstr("result=COMPLETE"));
}

}  // namespace
}  // namespace ghost
