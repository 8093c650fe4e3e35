// ghostctl agent list|status|stop against a control server in a temporary
// folder, and what each says when no agent answers.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/runtime/control_server.h"
#include "tests/host/ghostctl_outcome.h"
#include "tools/ghostctl/command_table.h"

namespace ghost::ctl {
namespace {

using ::testing::HasSubstr;

class GhostctlAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ghostctl_agent_testXXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    server_.reset();
    unlink(ControlSocketPath(dir_, 4).c_str());
    rmdir(dir_.c_str());
  }
  void Serve() {
    absl::StatusOr<std::unique_ptr<ControlServer>> s = ControlServer::Start(
        ControlSocketPath(dir_, 4),
        {.report =
             [] {
               AgentReport r;
               r.program = "ghost_agent";
               r.policy = "tiny_fifo";
               r.pid = 77;
               r.enclave = 4;
               r.cpus = "1";
               r.started_unix_ms = absl::ToUnixMillis(absl::Now());
               r.counters = {{"commits", 12}};
               return r;
             },
         // As the runtime does: the agent stops, and its socket goes.
         .stop = [this] { stop_asked_.store(true); }});
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
  }
  std::vector<std::string> With(std::vector<std::string> words) {
    words.push_back("--socket_dir");
    words.push_back(dir_);
    return words;
  }
  std::string dir_;
  std::unique_ptr<ControlServer> server_;
  std::atomic<bool> stop_asked_{false};
};

TEST_F(GhostctlAgentTest, StatusShowsPolicyCpusAndCounters) {
  Serve();
  const Outcome o = Ghostctl(With({"agent", "status", "4"}));
  EXPECT_EQ(o.rc, kExitOk) << o.err;
  EXPECT_THAT(o.out, HasSubstr("policy:   tiny_fifo"));
  EXPECT_THAT(o.out, HasSubstr("ghost_agent (pid 77)"));
  EXPECT_THAT(o.out, HasSubstr("commits"));
}

TEST_F(GhostctlAgentTest, StatusAsJsonHasStableKeys) {
  Serve();
  const Outcome o = Ghostctl(With({"agent", "status", "4", "--json"}));
  EXPECT_EQ(o.rc, kExitOk) << o.err;
  EXPECT_THAT(o.out, HasSubstr("\"policy\":\"tiny_fifo\""));
  EXPECT_THAT(o.out, HasSubstr("\"commits\":12"));
}

TEST_F(GhostctlAgentTest, ListHasOneLinePerAgent) {
  Serve();
  const Outcome o = Ghostctl(With({"agent", "list"}));
  EXPECT_EQ(o.rc, kExitOk) << o.err;
  EXPECT_THAT(o.out, HasSubstr("4        ghost_agent  tiny_fifo"));
}

TEST_F(GhostctlAgentTest, ListWithoutAgentsSaysHowToStartOne) {
  const Outcome o = Ghostctl(With({"agent", "list"}));
  EXPECT_EQ(o.rc, kExitOk);
  EXPECT_THAT(o.out, HasSubstr("ghost_agent --enclave=N"));
}

TEST_F(GhostctlAgentTest, NoAgentIsAFailureThatSaysWhatToDo) {
  const Outcome o = Ghostctl(With({"agent", "status", "4"}));
  EXPECT_EQ(o.rc, kExitFailed);
  EXPECT_THAT(o.err, HasSubstr("no agent runs enclave 4"));
  EXPECT_THAT(o.err, HasSubstr("ghost_agent --enclave=4"));
}

TEST_F(GhostctlAgentTest, ASocketLeftByADeadAgentIsNamedAsSuch) {
  // A bound socket nobody listens on: connect() is refused.
  const std::string path = ControlSocketPath(dir_, 4);
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr = {.sun_family = AF_UNIX};
  std::strcpy(addr.sun_path, path.c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  close(fd);
  const Outcome o = Ghostctl(With({"agent", "status", "4"}));
  EXPECT_EQ(o.rc, kExitFailed);
  EXPECT_THAT(o.err, HasSubstr("the agent that made it is gone"));
}

TEST_F(GhostctlAgentTest, StopAsksTheAgentAndWaitsForItsSocketToGo) {
  Serve();
  std::thread agent([this] {
    while (!stop_asked_.load()) absl::SleepFor(absl::Milliseconds(1));
    server_.reset();  // the agent stops
  });
  const Outcome o = Ghostctl(With({"agent", "stop", "4"}));
  agent.join();
  EXPECT_EQ(o.rc, kExitOk) << o.err;
  EXPECT_THAT(o.out, HasSubstr("ghost_agent (pid 77, tiny_fifo) stopped"));
}

TEST_F(GhostctlAgentTest, ABadIdIsAUsageError) {
  EXPECT_EQ(Ghostctl(With({"agent", "status", "x"})).rc, kExitUsage);
}

}  // namespace
}  // namespace ghost::ctl
