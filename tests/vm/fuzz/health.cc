#include "tests/vm/fuzz/health.h"

#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "lib/abi/enclave.h"
#include "tests/vm/fifo_test_agent.h"
#include "tests/vm/fuzz/layout.h"
#include "tests/vm/fuzz/syscalls.h"
#include "tests/vm/fuzz/system_view.h"
#include "tests/vm/fuzz/wait.h"
#include "tests/vm/vm_helpers.h"

namespace ghost::fuzz {

bool ExpectWorkersFinish(World& w) {
  WorkerProcess& workers = *w.workers;
  workers.Stop();
  bool all = true;
  for (int i = 0; i < kWorkers; ++i) {
    const bool done = workers.WaitDone(i, absl::Seconds(15));
    EXPECT_TRUE(done) << "worker " << workers.tid(i) << " (policy "
                      << sched_getscheduler(workers.tid(i))
                      << ") did not finish after every enclave was destroyed";
    all = all && done;
  }
  const bool exited = workers.Reap(absl::Seconds(all ? 10 : 1));
  EXPECT_TRUE(exited) << "the worker process did not exit (killed)";
  return all && exited;
}

void ExpectCtlStillWorks() {
  const unsigned int id = kPoolBase + 50;
  ASSERT_TRUE(WriteGhostfsFile(kMount + "/ctl", absl::StrCat("create ", id)).ok());
  EXPECT_TRUE(WriteGhostfsFile(EnclaveDir(id) + "/cpulist", "1-3").ok());
  EXPECT_TRUE(WriteGhostfsFile(EnclaveDir(id) + "/ctl", "destroy").ok());
  EXPECT_NE(access(EnclaveDir(id).c_str(), F_OK), 0);
  absl::StatusOr<std::string> version = ReadGhostfsFile(kMount + "/version");
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, absl::StrCat(GHOST_ABI_VERSION, "\n"));
}

// A real agent still runs a thread to completion on a fuzzed kernel.
void ExpectAnAgentStillSchedules() {
  absl::StatusOr<Enclave> e = Enclave::Create(kPoolBase + 51);
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_TRUE(e->SetCpus("1").ok());
  absl::StatusOr<std::unique_ptr<testing::FifoTestAgent>> agent =
      testing::FifoTestAgent::Start(*e, 1);
  ASSERT_TRUE(agent.ok()) << agent.status();
  std::atomic<pid_t> tid{0};
  std::atomic<bool> go{false}, done{false};
  std::thread t([&] {
    tid.store(Gettid());
    while (!go.load()) absl::SleepFor(absl::Milliseconds(1));
    volatile uint64_t x = 0;
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j < 20000; ++j) x = x + j;
      sched_yield();
      absl::SleepFor(absl::Microseconds(200));
    }
    done.store(true);
  });
  // A CFS thread of ours: it starts within moments.
  EXPECT_TRUE(testing::WaitFor([&] { return tid.load() != 0; }));
  EXPECT_TRUE(testing::WaitUntilBlocked(tid.load()));
  EXPECT_TRUE(e->AddTask(tid.load()).ok());
  go.store(true);
  EXPECT_TRUE(WaitFor(done, absl::Seconds(10)))
      << "a thread under a real agent did not finish after the fuzzing";
  agent->reset();
  (void)e->Destroy();
  // Destroying the enclave gave the thread back to CFS; should it still be
  // a ghost thread, it would never run to the end of its loop.
  if (!WaitFor(done, absl::Seconds(10))) testing::MoveToCfs(tid.load());
  go.store(true);
  t.join();
}

// /sys/fs/ghost/objects counts live kernel objects: once every enclave is
// destroyed and every queue fd closed, all go back to 0 (they are freed
// after RCU grace periods and in work items, hence the wait).
void ExpectNothingLeaked() {
  const std::string path = kMount + "/objects";
  if (access(path.c_str(), F_OK) != 0) return;  // an older kernel
  const std::string zero = "enclaves 0\ntasks 0\nqueues 0\n";
  absl::StatusOr<std::string> text = ReadGhostfsFile(path);
  const absl::Time end = absl::Now() + absl::Seconds(10);
  while (text.ok() && *text != zero && absl::Now() < end) {
    absl::SleepFor(absl::Milliseconds(50));
    text = ReadGhostfsFile(path);
  }
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, zero) << "kernel objects leaked by the fuzzing";
}

void EnsureCpusOnline() {
  for (int cpu = 1; cpu <= kLastCpu; ++cpu) {
    const std::string online = CpuOnlinePath(cpu);
    absl::StatusOr<std::string> state = ReadGhostfsFile(online);
    if (state.ok() && *state != "1\n") {
      EXPECT_TRUE(WriteGhostfsFile(online, "1").ok())
          << "CPU " << cpu << " stays offline";
    }
  }
}

}  // namespace ghost::fuzz
