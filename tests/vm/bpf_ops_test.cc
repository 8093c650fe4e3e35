// ghost's BPF fast paths (docs/bpf.md) on the real kernel: attaching
// struct_ops to an enclave and detaching them (by their owner, by a
// destroy, on a hook's error), who may attach, one ops per enclave, the
// checks of a latch made from a pick hook, programs the verifier must
// refuse, and an enclave scheduled entirely in BPF (bpf_fifo).
//
// Latch cases use bpf/ghost_bpf_probe: the test names a thread, a barrier
// and a CPU; the CPU's next pick hook tries the latch once and keeps the
// result (or, asked to, calls the latch several times in that pick and
// keeps each result). A CPU runs its pick hook when it would run nothing: the test
// makes it schedule by sleeping a CFS thread there (PokeUntil).
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bpf/ghost_bpf_bad_kfunc.skel.h"
#include "bpf/ghost_bpf_bad_write.skel.h"
#include "bpf/ghost_bpf_probe.skel.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/abi/cpu_data_region.h"
#include "lib/abi/enclave.h"
#include "lib/abi/ghost_run.h"
#include "lib/abi/ghostfs_mount.h"
#include "lib/bpf/ghost_bpf_ops.h"
#include "lib/bpf/verifier_log.h"
#include "lib/uapi/linux/ghost.h"
#include "tests/vm/agent_fifo_process.h"
#include "tests/vm/enclave_child.h"
#include "tests/vm/gated_workers.h"
#include "tests/vm/manual_agent.h"
#include "tests/vm/vm_helpers.h"
#include "tests/vm/wait_for.h"

namespace ghost {
namespace {

using ::ghost::testing::AgentFifoProcess;
using ::ghost::testing::DestroyAllEnclaves;
using ::ghost::testing::GatedWorkers;
using ::ghost::testing::ManualAgent;
using ::ghost::testing::RunInEnclave;
using ::ghost::testing::WaitFor;
using ::testing::HasSubstr;

constexpr unsigned int kEnclaveId = 31;
constexpr unsigned int kOtherEnclaveId = 32;
constexpr int kLatchCpu = 2;

std::string ReadFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadGhostfsFile(path);
  return text.ok() ? std::string(absl::StripAsciiWhitespace(*text)) : "";
}

// enclave_<id>/bpf: the attached ops' name, or "none".
std::string OpsOf(unsigned int id) {
  return ReadFile(absl::StrCat(GHOSTFS_MOUNT_POINT, "/enclave_", id, "/bpf"));
}

// The last line of /sys/fs/ghost/bpf_detached.
std::string LastDetached() {
  const std::string all =
      ReadFile(absl::StrCat(GHOSTFS_MOUNT_POINT, "/bpf_detached"));
  const size_t nl = all.rfind('\n');
  return nl == std::string::npos ? all : all.substr(nl + 1);
}

template <typename T>
T Load(const T& field) {
  return __atomic_load_n(&field, __ATOMIC_ACQUIRE);
}

// bpf/ghost_bpf_probe, loaded; attached to an enclave by Attach().
class Probe {
 public:
  Probe() {
    skel_ = ghost_bpf_probe__open_opts(log_.open_opts());
    if (skel_ == nullptr) {
      status_ = absl::InternalError("opening ghost_bpf_probe failed");
      return;
    }
    status_ = GhostBpfOps::Prepare(skel_->maps.probe_ops);
    if (status_.ok()) {
      status_ = log_.LoadStatus(ghost_bpf_probe__load(skel_), "probe");
    }
  }
  ~Probe() {
    ops_.reset();
    ghost_bpf_probe__destroy(skel_);
  }

  const absl::Status& load_status() const { return status_; }

  absl::Status Attach(unsigned int enclave_id) {
    absl::StatusOr<GhostBpfOps> ops = GhostBpfOps::Attach(
        skel_->obj, skel_->maps.probe_ops, enclave_id, "probe");
    if (!ops.ok()) return ops.status();
    ops_.emplace(std::move(*ops));
    return absl::OkStatus();
  }
  void Detach() { ops_.reset(); }

  // The next pick hook on `cpu` tries to latch `gtid` with `barrier`,
  // `tries` times in that pick.
  void Target(int cpu, uint64_t gtid, uint32_t barrier, uint32_t tries = 1) {
    skel_->bss->target_barrier = barrier;
    skel_->bss->target_tries = tries;
    skel_->data->target_cpu = cpu;
    __atomic_store_n(&skel_->bss->target_gtid, gtid, __ATOMIC_RELEASE);
  }
  uint64_t attempts() const { return Load(skel_->bss->attempts); }
  int32_t last_result() const { return Load(skel_->bss->last_result); }
  // The result of call `i` of the latest pick that tried (i < tries).
  int32_t result(int i) const { return Load(skel_->bss->results[i]); }
  uint64_t msgs() const { return Load(skel_->bss->msgs); }
  void set_pick_ret(int32_t ret) {
    __atomic_store_n(&skel_->bss->pick_ret, ret, __ATOMIC_RELEASE);
  }

 private:
  VerifierLog log_;
  ghost_bpf_probe* skel_ = nullptr;
  absl::Status status_;
  std::optional<GhostBpfOps> ops_;
};

// Makes `cpu` schedule every millisecond (a CFS thread there sleeps) until
// `done` holds or `limit` passes; returns `done`.
template <typename Pred>
bool PokeUntil(int cpu, absl::Duration limit, Pred done) {
  std::atomic<bool> stop{false};
  std::thread poker([&] {
    testing::PinTo(cpu);
    while (!stop.load()) usleep(1000);
  });
  const bool ok = WaitFor(done, limit);
  stop.store(true);
  poker.join();
  return ok;
}

// The name of a GHOST_TXN_* result (or of the kfunc's -EBUSY), for
// readable failures.
std::string Result(int32_t r) {
  if (r == -EBUSY) return "-EBUSY";
  if (r < 0) return absl::StrCat("-errno ", -r);
  return TxnResultName(r);
}

class BpfOpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(EnsureGhostfsMounted(GHOSTFS_MOUNT_POINT).ok());
    DestroyAllEnclaves();
    absl::StatusOr<Enclave> e = Enclave::Create(kEnclaveId);
    ASSERT_TRUE(e.ok()) << e.status();
    enclave_.emplace(*e);
    ASSERT_TRUE(enclave_->SetCpus("1-2").ok());
  }
  void TearDown() override { DestroyAllEnclaves(); }

  // Probe loaded and attached to our enclave.
  std::unique_ptr<Probe> AttachedProbe() {
    auto probe = std::make_unique<Probe>();
    EXPECT_TRUE(probe->load_status().ok()) << probe->load_status();
    if (probe->load_status().ok()) {
      absl::Status s = probe->Attach(kEnclaveId);
      EXPECT_TRUE(s.ok()) << s;
    }
    return probe;
  }

  // Moves `w`'s thread into `e` and releases it; returns its gtid once its
  // word says runnable (no agent runs it).
  static uint64_t RunnableThread(GatedWorkers& w, Enclave& e,
                                 ManualAgent& m) {
    EXPECT_TRUE(w.MoveInto(e).ok());
    w.Release();
    const uint64_t gtid = *GetGtid(w.tid(0));
    EXPECT_TRUE(WaitFor([&] {
      std::optional<StatusWord> word = m.Word(gtid);
      return word && word->runnable();
    })) << "the released thread never became runnable";
    return gtid;
  }

  // Latches `gtid` on `cpu` through the probe, `tries` times in one pick;
  // the first call's result.
  static int32_t LatchThroughPick(Probe& probe, int cpu, uint64_t gtid,
                                  uint32_t barrier, uint32_t tries = 1) {
    const uint64_t before = probe.attempts();
    probe.Target(cpu, gtid, barrier, tries);
    EXPECT_TRUE(PokeUntil(cpu, absl::Seconds(10),
                          [&] { return probe.attempts() > before; }))
        << "CPU " << cpu << " never ran its pick hook";
    return probe.last_result();
  }

  std::optional<Enclave> enclave_;
};

// The latched thread that sets `ran_on` to its CPU ran, and on `cpu`.
void ExpectRanOn(const std::atomic<int>& ran_on, int cpu) {
  EXPECT_TRUE(WaitFor([&] { return ran_on.load() != -1; }))
      << "the latched thread never ran";
  EXPECT_EQ(ran_on.load(), cpu);
}

TEST_F(BpfOpsTest, AttachShowsTheOpsAndDetachSaysWhy) {
  EXPECT_EQ(OpsOf(kEnclaveId), "none");
  std::unique_ptr<Probe> probe = AttachedProbe();
  EXPECT_EQ(OpsOf(kEnclaveId), "probe");
  probe->Detach();
  EXPECT_EQ(OpsOf(kEnclaveId), "none");
  EXPECT_EQ(LastDetached(),
            absl::StrCat(kEnclaveId, " probe detached by its owner"));
}

TEST_F(BpfOpsTest, OneOpsPerEnclave) {
  std::unique_ptr<Probe> first = AttachedProbe();
  Probe second;
  ASSERT_TRUE(second.load_status().ok()) << second.load_status();
  absl::Status s = second.Attach(kEnclaveId);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("has BPF ops attached already"));
  EXPECT_EQ(OpsOf(kEnclaveId), "probe");
  first->Detach();
  // Free again: the second one attaches.
  EXPECT_TRUE(second.Attach(kEnclaveId).ok());
}

TEST_F(BpfOpsTest, NoSuchEnclave) {
  Probe probe;
  ASSERT_TRUE(probe.load_status().ok()) << probe.load_status();
  absl::Status s = probe.Attach(kEnclaveId + 100);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  EXPECT_THAT(s.message(), HasSubstr("there is no enclave"));
}

// Root without CAP_SYS_NICE loads BPF, but may not attach (an agent needs
// it too); a plain user may not even load.
TEST_F(BpfOpsTest, AttachNeedsTheAgentsPrivilege) {
  const pid_t pid = fork();
  if (pid == 0) {
    __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (syscall(SYS_capget, &hdr, data) != 0) _exit(10);
    data[0].effective &= ~(1U << CAP_SYS_NICE);
    data[0].permitted &= ~(1U << CAP_SYS_NICE);
    if (syscall(SYS_capset, &hdr, data) != 0) _exit(11);
    Probe probe;
    if (!probe.load_status().ok()) _exit(12);
    absl::Status s = probe.Attach(kEnclaveId);
    if (s.code() != absl::StatusCode::kPermissionDenied) _exit(13);
    if (!absl::StrContains(s.message(), "CAP_SYS_NICE")) _exit(14);
    _exit(0);
  }
  int status = 0;
  ASSERT_TRUE(testing::ReapWithin(pid, absl::Seconds(30), &status));
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "10/11: capabilities; 12: load failed; 13: attach not EPERM; "
         "14: the error does not name CAP_SYS_NICE";
  EXPECT_EQ(OpsOf(kEnclaveId), "none");

  const int code = testing::RunAsNobody([] {
    Probe probe;
    if (probe.load_status().ok()) return 1;
    return probe.load_status().code() == absl::StatusCode::kPermissionDenied
               ? 0
               : 2;
  });
  EXPECT_EQ(code, 0) << "1: a plain user loaded BPF; 2: not EPERM";
  EXPECT_EQ(OpsOf(kEnclaveId), "none");
}

TEST_F(BpfOpsTest, DestroyDetachesTheOps) {
  std::unique_ptr<Probe> probe = AttachedProbe();
  ASSERT_TRUE(enclave_->Destroy().ok());
  EXPECT_EQ(LastDetached(),
            absl::StrCat(kEnclaveId, " probe its enclave was destroyed"));
  const uint64_t msgs = probe->msgs();
  // Nothing of the dead enclave calls the hooks; a new enclave with the
  // same id does not get them either.
  absl::StatusOr<Enclave> again = Enclave::Create(kEnclaveId);
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_TRUE(again->SetCpus("1-2").ok());
  GatedWorkers w(1, [](int) {});
  ASSERT_TRUE(w.MoveInto(*again).ok());
  w.Release();
  EXPECT_EQ(OpsOf(kEnclaveId), "none");
  EXPECT_EQ(probe->msgs(), msgs);
  probe->Detach();  // the owner's detach after the kernel's: harmless
}

TEST_F(BpfOpsTest, AHookErrorDetachesTheOpsAndSaysWhy) {
  std::unique_ptr<Probe> probe = AttachedProbe();
  probe->set_pick_ret(7);
  EXPECT_TRUE(PokeUntil(kLatchCpu, absl::Seconds(10),
                        [&] { return OpsOf(kEnclaveId) == "none"; }))
      << "a pick that returned 7 left its ops attached";
  // Each enclave CPU about to idle runs the hook: CPU 1 may come first.
  EXPECT_THAT(LastDetached(),
              HasSubstr(absl::StrCat(kEnclaveId,
                                     " probe error: pick returned 7 on CPU ")));
}

TEST_F(BpfOpsTest, AStaleBarrierIsRefusedThenTheLatestRuns) {
  ManualAgent m(*enclave_);
  std::atomic<int> ran_on{-1};
  GatedWorkers w(1, [&](int) { ran_on.store(sched_getcpu()); });
  const uint64_t gtid = RunnableThread(w, *enclave_, m);
  std::unique_ptr<Probe> probe = AttachedProbe();
  const uint32_t seq = m.Seq(gtid);
  EXPECT_EQ(Result(LatchThroughPick(*probe, kLatchCpu, gtid, seq - 1)),
            "TARGET_STALE");
  EXPECT_EQ(ran_on.load(), -1) << "a refused latch ran the thread";
  EXPECT_EQ(Result(LatchThroughPick(*probe, kLatchCpu, gtid, seq)),
            "COMPLETE");
  ExpectRanOn(ran_on, kLatchCpu);
}

// One pick latches one thread: a second call, even for the same thread,
// gets -EBUSY and changes nothing.
TEST_F(BpfOpsTest, APickLatchesOneThreadAtMost) {
  ManualAgent m(*enclave_);
  std::atomic<int> ran_on{-1};
  GatedWorkers w(1, [&](int) { ran_on.store(sched_getcpu()); });
  const uint64_t gtid = RunnableThread(w, *enclave_, m);
  std::unique_ptr<Probe> probe = AttachedProbe();
  EXPECT_EQ(Result(LatchThroughPick(*probe, kLatchCpu, gtid, m.Seq(gtid),
                                    /*tries=*/2)),
            "COMPLETE");
  EXPECT_EQ(Result(probe->result(1)), "-EBUSY");
  ExpectRanOn(ran_on, kLatchCpu);
}

// One pick makes four latch attempts at most, failed ones included (each
// may bounce another CPU's rq lock); the fifth gets -EBUSY. The bound is
// per pick: the next pick latches.
TEST_F(BpfOpsTest, APickMakesFourLatchAttemptsAtMost) {
  ManualAgent m(*enclave_);
  std::atomic<int> ran_on{-1};
  GatedWorkers w(1, [&](int) { ran_on.store(sched_getcpu()); });
  const uint64_t gtid = RunnableThread(w, *enclave_, m);
  std::unique_ptr<Probe> probe = AttachedProbe();
  const uint32_t seq = m.Seq(gtid);
  EXPECT_EQ(Result(LatchThroughPick(*probe, kLatchCpu, gtid, seq - 1,
                                    /*tries=*/5)),
            "TARGET_STALE");
  for (int i = 1; i < 4; ++i) {
    EXPECT_EQ(Result(probe->result(i)), "TARGET_STALE") << "call " << i;
  }
  EXPECT_EQ(Result(probe->result(4)), "-EBUSY");
  EXPECT_EQ(ran_on.load(), -1) << "a refused latch ran the thread";
  EXPECT_EQ(Result(LatchThroughPick(*probe, kLatchCpu, gtid, seq)),
            "COMPLETE");
  ExpectRanOn(ran_on, kLatchCpu);
}

TEST_F(BpfOpsTest, ALatchOutsideTheAffinityIsRefused) {
  ManualAgent m(*enclave_);
  std::atomic<int> ran_on{-1};
  GatedWorkers w(1, [&](int) { ran_on.store(sched_getcpu()); });
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(1, &one);
  ASSERT_EQ(sched_setaffinity(w.tid(0), sizeof(one), &one), 0);
  const uint64_t gtid = RunnableThread(w, *enclave_, m);
  std::unique_ptr<Probe> probe = AttachedProbe();
  EXPECT_EQ(Result(LatchThroughPick(*probe, kLatchCpu, gtid, m.Seq(gtid))),
            "CPU_NOT_ALLOWED");
  EXPECT_EQ(ran_on.load(), -1) << "the thread ran outside its affinity";
  EXPECT_EQ(Result(LatchThroughPick(*probe, 1, gtid, m.Seq(gtid))),
            "COMPLETE");
  EXPECT_TRUE(WaitFor([&] { return ran_on.load() != -1; }));
  EXPECT_EQ(ran_on.load(), 1);
}

TEST_F(BpfOpsTest, AThreadOfAnotherEnclaveIsNotFound) {
  absl::StatusOr<Enclave> other = Enclave::Create(kOtherEnclaveId);
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_TRUE(other->SetCpus("3").ok());
  ManualAgent m(*other);
  std::atomic<int> ran_on{-1};
  GatedWorkers w(1, [&](int) { ran_on.store(sched_getcpu()); });
  const uint64_t gtid = RunnableThread(w, *other, m);
  std::unique_ptr<Probe> probe = AttachedProbe();
  EXPECT_EQ(Result(LatchThroughPick(*probe, kLatchCpu, gtid, m.Seq(gtid))),
            "TARGET_NOT_FOUND");
  EXPECT_EQ(ran_on.load(), -1) << "another enclave's pick ran the thread";
}

TEST_F(BpfOpsTest, TheVerifierRefusesALatchFromTheMsgHook) {
  VerifierLog log;
  ghost_bpf_bad_kfunc* skel = ghost_bpf_bad_kfunc__open_opts(log.open_opts());
  ASSERT_NE(skel, nullptr);
  ASSERT_TRUE(GhostBpfOps::Prepare(skel->maps.bad_kfunc_ops).ok());
  absl::Status s = log.LoadStatus(ghost_bpf_bad_kfunc__load(skel), "bad");
  ghost_bpf_bad_kfunc__destroy(skel);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(),
              HasSubstr("calling kernel function ghost_bpf_latch is not "
                        "allowed"));
}

TEST_F(BpfOpsTest, TheVerifierRefusesAWriteToTheMessage) {
  VerifierLog log;
  ghost_bpf_bad_write* skel = ghost_bpf_bad_write__open_opts(log.open_opts());
  ASSERT_NE(skel, nullptr);
  ASSERT_TRUE(GhostBpfOps::Prepare(skel->maps.bad_write_ops).ok());
  absl::Status s = log.LoadStatus(ghost_bpf_bad_write__load(skel), "bad");
  ghost_bpf_bad_write__destroy(skel);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("may not write to kernel memory"));
}

// A pick hook that never latches leaves the threads waiting: the watchdog
// still ends the enclave, the threads finish under CFS, and the destroy
// detaches the ops.
TEST_F(BpfOpsTest, TheWatchdogEndsAnEnclaveWhosePickNeverLatches) {
  ASSERT_TRUE(WriteGhostfsFile(absl::StrCat(enclave_->dir(),
                                            "/runnable_timeout"),
                               "500")
                  .ok());
  std::unique_ptr<Probe> probe = AttachedProbe();
  std::atomic<bool> ran{false};
  GatedWorkers w(1, [&](int) { ran.store(true); });
  ASSERT_TRUE(w.MoveInto(*enclave_).ok());
  w.Release();
  EXPECT_TRUE(PokeUntil(kLatchCpu, absl::Seconds(20), [] {
    return !testing::EnclaveExists(kEnclaveId);
  })) << "the watchdog did not end the enclave";
  EXPECT_THAT(testing::LastDestroyed(), HasSubstr("watchdog"));
  EXPECT_EQ(LastDetached(),
            absl::StrCat(kEnclaveId, " probe its enclave was destroyed"));
  EXPECT_TRUE(w.AllDoneWithin(absl::Seconds(10)))
      << "the thread did not finish under CFS";
  EXPECT_TRUE(ran.load());
}

// The ops outlive the agent's death: the enclave (in bypass) and its
// threads carry on, and the ops stay until their owner detaches them.
TEST_F(BpfOpsTest, AnAgentKilledWithOpsAttached) {
  std::unique_ptr<Probe> probe = AttachedProbe();
  AgentFifoProcess agent({"--mode=percpu",
                          absl::StrCat("--enclave=", kEnclaveId)});
  ASSERT_TRUE(agent.WaitForOutput("ready", absl::Seconds(30)))
      << agent.output();
  const Enclave enclave(kEnclaveId, GHOSTFS_MOUNT_POINT);
  const pid_t child = testing::StartInEnclave(enclave, [] {
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) {
      threads.emplace_back([] {
        for (int r = 0; r < 200; ++r) usleep(500);
      });
    }
    for (auto& t : threads) t.join();
    return 0;
  });
  EXPECT_TRUE(WaitFor([&] { return probe->msgs() > 0; }))
      << "the msg hook saw nothing";
  agent.Signal(SIGKILL);
  EXPECT_EQ(testing::FinishInEnclave(child, absl::Seconds(60)), 0)
      << "the threads did not finish after the agent died";
  EXPECT_EQ(OpsOf(kEnclaveId), "probe");
  probe->Detach();
  EXPECT_EQ(OpsOf(kEnclaveId), "none");
}

// --- bpf_fifo: an enclave scheduled in BPF alone ---

constexpr char kBpfFifo[] = "/ghost/bin/bpf_fifo";
constexpr unsigned int kFifoEnclaveId = 33;

// `n` threads that each spin, yield and sleep `rounds` times.
int Threads(int n, int rounds) {
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([rounds] {
      volatile uint64_t x = 0;
      for (int r = 0; r < rounds; ++r) {
        for (int i = 0; i < 20000; ++i) x += i;
        sched_yield();
        usleep(200);
      }
    });
  }
  for (auto& t : threads) t.join();
  return 0;
}

class BpfFifoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(access(kBpfFifo, X_OK), 0) << kBpfFifo << " is not in the VM";
    ASSERT_TRUE(EnsureGhostfsMounted(GHOSTFS_MOUNT_POINT).ok());
    DestroyAllEnclaves();
    fifo_ = std::make_unique<AgentFifoProcess>(
        std::vector<std::string>{absl::StrCat("--enclave=", kFifoEnclaveId),
                                 "--cpus=1-3"},
        kBpfFifo);
    ASSERT_TRUE(fifo_->WaitForOutput("ready", absl::Seconds(30)))
        << fifo_->output();
  }
  void TearDown() override {
    if (fifo_) {
      fifo_->Signal(SIGTERM);
      EXPECT_EQ(fifo_->WaitExit(absl::Seconds(20)), 0) << fifo_->output();
      EXPECT_THAT(fifo_->output(), HasSubstr("destroyed"));
      std::cout << fifo_->output();
    }
    DestroyAllEnclaves();
  }

  Enclave enclave() const {
    return Enclave(kFifoEnclaveId, GHOSTFS_MOUNT_POINT);
  }

  std::unique_ptr<AgentFifoProcess> fifo_;
};

TEST_F(BpfFifoTest, TenThreadsFinish) {
  EXPECT_EQ(RunInEnclave(enclave(), absl::Seconds(60),
                         [] { return Threads(10, 20); }),
            0)
      << fifo_->output();
}

TEST_F(BpfFifoTest, AThousandThreadsFinish) {
  const absl::Time start = absl::Now();
  EXPECT_EQ(RunInEnclave(enclave(), absl::Seconds(180),
                         [] { return Threads(1000, 1); }),
            0)
      << fifo_->output();
  std::cout << "1000 threads (bpf_fifo): "
            << absl::ToDoubleSeconds(absl::Now() - start) << " s\n";
}

TEST_F(BpfFifoTest, StressNgFinishesWithValidOutput) {
  const std::string out = "/tmp/bpf_fifo_test.out";
  const int code = RunInEnclave(enclave(), absl::Seconds(60), [&] {
    const std::string cmd = absl::StrCat(
        "stress-ng --cpu 2 --yield 2 --switch 2 -t 5s --metrics-brief > ",
        out, " 2>&1");
    execl("/bin/sh", "sh", "-c", cmd.c_str(), nullptr);
    return 127;
  });
  std::ifstream in(out);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(code, 0) << text.str() << fifo_->output();
  EXPECT_THAT(text.str(), HasSubstr("successful run completed"));
}

}  // namespace
}  // namespace ghost
