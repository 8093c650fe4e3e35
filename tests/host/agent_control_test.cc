// The agent control channel: the protocol's encoding and decoding, and a
// server and client talking over a socket in a temporary folder.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/runtime/control_client.h"
#include "lib/runtime/control_protocol.h"
#include "lib/runtime/control_server.h"

namespace ghost {
namespace {

using ::testing::HasSubstr;

AgentReport SampleReport() {
  AgentReport r;
  r.program = "ghost_agent";
  r.policy = "fifo_percpu";
  r.pid = 412;
  r.enclave = 3;
  r.cpus = "1-3";
  r.started_unix_ms = 1718000000123;
  r.counters = {{"messages", 5630}, {"commits", 2811}};
  return r;
}

TEST(ControlProtocol, AReportSurvivesEncodingAndDecoding) {
  absl::StatusOr<AgentReport> r = DecodeReply(EncodeReport(SampleReport()));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->program, "ghost_agent");
  EXPECT_EQ(r->policy, "fifo_percpu");
  EXPECT_EQ(r->pid, 412);
  EXPECT_EQ(r->enclave, 3u);
  EXPECT_EQ(r->cpus, "1-3");
  EXPECT_EQ(r->started_unix_ms, 1718000000123);
  EXPECT_EQ(r->counter("commits"), 2811u);
  EXPECT_EQ(r->counter("nothing"), 0u);
}

TEST(ControlProtocol, TheEncodingIsVersionedLinesEndingInEnd) {
  const std::string text = EncodeReport(SampleReport());
  EXPECT_THAT(text, ::testing::StartsWith("ghost-agent-control 1\n"));
  EXPECT_THAT(text, HasSubstr("\ncounter messages 5630\n"));
  EXPECT_THAT(text, ::testing::EndsWith("\nend\n"));
}

TEST(ControlProtocol, UnknownKeysAreSkipped) {
  std::string text = EncodeReport(SampleReport());
  text.insert(text.find("end\n"), "colour blue\n");
  EXPECT_TRUE(DecodeReply(text).ok());
}

TEST(ControlProtocol, ATruncatedReplyIsAnError) {
  std::string text = EncodeReport(SampleReport());
  text.resize(text.find("end\n"));
  EXPECT_THAT(DecodeReply(text).status().message(), HasSubstr("ends early"));
}

TEST(ControlProtocol, AReplyWithoutItsIdentityIsAnError) {
  EXPECT_FALSE(DecodeReply("ghost-agent-control 1\nprogram x\nend\n").ok());
}

TEST(ControlProtocol, AnotherProtocolOrVersionIsRefused) {
  EXPECT_THAT(DecodeReply("HTTP/1.1 200 OK\n").status().message(),
              HasSubstr("not a ghost agent's reply"));
  EXPECT_FALSE(DecodeReply("ghost-agent-control 2\nend\n").ok());
}

TEST(ControlProtocol, AnErrorReplyCarriesTheAgentsWords) {
  absl::StatusOr<AgentReport> r = DecodeReply(EncodeError("busy\nnow"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("busy now"));
}

TEST(ControlProtocol, RequestsRoundTripAndOthersAreRefused) {
  EXPECT_EQ(*DecodeRequest(EncodeRequest(ControlRequest::kStatus)),
            ControlRequest::kStatus);
  EXPECT_EQ(*DecodeRequest(EncodeRequest(ControlRequest::kStop)),
            ControlRequest::kStop);
  EXPECT_EQ(*DecodeRequest(EncodeRequest(ControlRequest::kHints)),
            ControlRequest::kHints);
  EXPECT_THAT(DecodeRequest("reboot").status().message(),
              HasSubstr("the requests are status, stop, hints"));
}

TEST(ControlProtocol, SocketPathsNameTheEnclave) {
  EXPECT_EQ(ControlSocketPath("/run/ghost", 7), "/run/ghost/enclave_7.sock");
  EXPECT_EQ(EnclaveOfSocketName("enclave_7.sock"), 7);
  EXPECT_EQ(EnclaveOfSocketName("enclave_.sock"), -1);
  EXPECT_EQ(EnclaveOfSocketName("enclave_-1.sock"), -1);
  EXPECT_EQ(EnclaveOfSocketName("enclave_7.sock.old"), -1);
}

class ControlChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/agent_control_testXXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = ControlSocketPath(absl::StrCat(dir_, "/run"), 3);
  }
  void TearDown() override {
    unlink(path_.c_str());
    rmdir(absl::StrCat(dir_, "/run").c_str());
    rmdir(dir_.c_str());
  }
  std::unique_ptr<ControlServer> Serve(
      std::function<absl::Status(Fd, pid_t)> hints = nullptr) {
    absl::StatusOr<std::unique_ptr<ControlServer>> s =
        ControlServer::Start(path_, {.report = [] { return SampleReport(); },
                                     .stop = [this] { stopped_.store(true); },
                                     .hints = std::move(hints)});
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }
  std::string dir_, path_;
  std::atomic<bool> stopped_{false};
};

TEST_F(ControlChannelTest, StatusIsAnsweredWithTheReport) {
  auto server = Serve();
  absl::StatusOr<AgentReport> r = AskAgent(path_, ControlRequest::kStatus);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->policy, "fifo_percpu");
  EXPECT_FALSE(stopped_.load());
}

TEST_F(ControlChannelTest, AHintRegionArrivesAsAnFdWithTheSendersPid) {
  pid_t from = 0;
  ino_t got = 0;
  auto server = Serve([&](Fd fd, pid_t pid) {
    struct stat st;
    EXPECT_EQ(fstat(fd.get(), &st), 0);
    got = st.st_ino;
    from = pid;
    return absl::OkStatus();
  });
  int pipes[2];
  ASSERT_EQ(pipe(pipes), 0);
  struct stat mine;
  ASSERT_EQ(fstat(pipes[0], &mine), 0);
  absl::StatusOr<AgentReport> r =
      AskAgent(path_, ControlRequest::kHints, absl::Seconds(3), pipes[0]);
  close(pipes[0]);
  close(pipes[1]);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(got, mine.st_ino);
  EXPECT_EQ(from, getpid());
}

TEST_F(ControlChannelTest, AHintRegionRefusedSaysWhy) {
  auto server = Serve([](Fd, pid_t) {
    return absl::InvalidArgumentError("not a hint region (bad magic)");
  });
  int pipes[2];
  ASSERT_EQ(pipe(pipes), 0);
  absl::StatusOr<AgentReport> r =
      AskAgent(path_, ControlRequest::kHints, absl::Seconds(3), pipes[0]);
  close(pipes[0]);
  close(pipes[1]);
  EXPECT_THAT(r.status().message(), HasSubstr("bad magic"));
  r = AskAgent(path_, ControlRequest::kHints);  // no fd
  EXPECT_THAT(r.status().message(), HasSubstr("SCM_RIGHTS"));
}

TEST_F(ControlChannelTest, AnAgentWithoutHintsRefusesThem) {
  auto server = Serve();
  int pipes[2];
  ASSERT_EQ(pipe(pipes), 0);
  absl::StatusOr<AgentReport> r =
      AskAgent(path_, ControlRequest::kHints, absl::Seconds(3), pipes[0]);
  close(pipes[0]);
  close(pipes[1]);
  EXPECT_THAT(r.status().message(), HasSubstr("no hint regions"));
}

TEST_F(ControlChannelTest, StopIsAnsweredThenHandedToTheAgent) {
  auto server = Serve();
  ASSERT_TRUE(AskAgent(path_, ControlRequest::kStop).ok());
  for (int i = 0; i < 1000 && !stopped_.load(); ++i) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_TRUE(stopped_.load());
}

TEST_F(ControlChannelTest, TheSocketIsRootsOnly) {
  auto server = Serve();
  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
}

TEST_F(ControlChannelTest, NoSocketIsNotFound) {
  EXPECT_EQ(AskAgent(path_, ControlRequest::kStatus).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ControlChannelTest, TheSocketGoesWithTheServer) {
  Serve().reset();
  EXPECT_NE(access(path_.c_str(), F_OK), 0);
}

TEST_F(ControlChannelTest, ASuccessorsSocketIsLeftInPlace) {
  auto old_server = Serve();
  auto new_server = Serve();  // replaces the old file
  old_server.reset();
  EXPECT_TRUE(AskAgent(path_, ControlRequest::kStatus).ok())
      << "the old agent removed its successor's socket";
}

}  // namespace
}  // namespace ghost
