// ghost_microbench: ghost's scheduling costs against CFS, in one boot.
//
//   local schedule   an agent commits a thread on its own CPU and blocks;
//                    the thread yields the CPU back (a round trip), vs a
//                    CFS futex ping-pong between two threads on one CPU
//   remote latch     a spinning agent commits threads onto 1 and 2 other
//                    CPUs in one call; time to the thread running, vs a
//                    CFS futex wakeup across CPUs
//   message delivery an event of a ghost thread to a blocked agent, and to
//                    a spinning agent
//
// Prints a table of means and ratios; --json writes the same numbers.
// Absolute numbers from a TCG VM mean little; the ratios are the point.
#include <linux/futex.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/cpu_data_region.h"
#include "lib/enclave.h"
#include "lib/ghost_run.h"
#include "lib/ghostfs_mount.h"
#include "lib/message_queue.h"
#include "lib/status_word_region.h"

ABSL_FLAG(int, rounds, 2000, "rounds per measurement");
ABSL_FLAG(std::string, json, "", "also write the results here as JSON");

namespace ghost {
namespace {

constexpr int kAgentCpu = 1;

uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

pid_t Gettid() { return static_cast<pid_t>(syscall(SYS_gettid)); }

void Pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof(set), &set);
}

void FutexWait(std::atomic<int>* word, int value) {
  syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, value, nullptr, nullptr, 0);
}
void FutexWake(std::atomic<int>* word) {
  syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

void Die(const absl::Status& s, const char* what) {
  std::fprintf(stderr, "ghost_microbench: %s: %s\n", what,
               std::string(s.message()).c_str());
  std::exit(1);
}

// --- CFS baselines ---------------------------------------------------------

// Two threads on one CPU hand a token back and forth; ns per round trip.
double CfsPingPong(int rounds) {
  std::atomic<int> turn{0};
  std::thread other([&] {
    Pin(kAgentCpu);
    for (int i = 0; i < rounds; ++i) {
      while (turn.load() != 1) FutexWait(&turn, 0);
      turn.store(0);
      FutexWake(&turn);
    }
  });
  Pin(kAgentCpu);
  const uint64_t start = NowNs();
  for (int i = 0; i < rounds; ++i) {
    turn.store(1);
    FutexWake(&turn);
    while (turn.load() != 0) FutexWait(&turn, 1);
  }
  const double ns = double(NowNs() - start) / rounds;
  other.join();
  Pin(0);
  return ns;
}

// A thread on CPU 2 is woken from CPU 1; ns from the wake to it running.
double CfsCrossCpuWakeup(int rounds) {
  std::atomic<int> word{0};
  std::atomic<uint64_t> woke{0};
  std::atomic<int> waiting{0};
  std::thread wakee([&] {
    Pin(2);
    for (int i = 0; i < rounds; ++i) {
      waiting.store(1);
      while (word.load() == 0) FutexWait(&word, 0);
      woke.store(NowNs());
      word.store(0);
    }
  });
  Pin(kAgentCpu);
  uint64_t total = 0;
  for (int i = 0; i < rounds; ++i) {
    while (waiting.exchange(0) == 0) {
    }
    usleep(50);  // let it sleep in the futex
    woke.store(0);
    const uint64_t t0 = NowNs();
    word.store(1);
    FutexWake(&word);
    while (woke.load() == 0) {
    }
    total += woke.load() - t0;
  }
  wakee.join();
  Pin(0);
  return double(total) / rounds;
}

// --- ghost -------------------------------------------------------------------

// The enclave and the shared memory an agent uses.
struct Lab {
  std::unique_ptr<Enclave> enclave;
  Fd dir;
  std::unique_ptr<MessageQueue> queue;
  std::unique_ptr<CpuDataRegion> cpu_data;
  std::unique_ptr<StatusWordRegion> words;
};

Lab MakeLab(unsigned int id, bool wake_agent) {
  Lab lab;
  (void)WriteGhostfsFile(absl::StrCat(GHOSTFS_MOUNT_POINT, "/ctl"),
                         absl::StrCat("destroy ", id));
  absl::StatusOr<Enclave> e = Enclave::Create(id);
  if (!e.ok()) Die(e.status(), "create enclave");
  lab.enclave = std::make_unique<Enclave>(*e);
  if (absl::Status s = lab.enclave->SetCpus("1-3"); !s.ok()) Die(s, "cpus");
  lab.dir = std::move(*OpenEnclaveDir(lab.enclave->dir()));
  absl::StatusOr<MessageQueue> q =
      MessageQueue::Create(lab.dir.get(), 4096, MessageQueue::kDefault);
  if (!q.ok()) Die(q.status(), "queue");
  lab.queue = std::make_unique<MessageQueue>(std::move(*q));
  if (wake_agent) {
    const int wake[] = {kAgentCpu};
    (void)lab.queue->SetWakeupCpus(wake);
  }
  lab.cpu_data = std::make_unique<CpuDataRegion>(
      std::move(*CpuDataRegion::Map(lab.enclave->dir())));
  lab.words = std::make_unique<StatusWordRegion>(
      std::move(*StatusWordRegion::Map(lab.enclave->dir())));
  return lab;
}

void DestroyLab(Lab& lab) { (void)lab.enclave->Destroy(); }

// A ghost thread that waits at a gate, then runs `body`.
struct GhostThread {
  std::atomic<pid_t> tid{0};
  std::atomic<int> gate{0};
  std::thread thread;
  uint64_t gtid = 0;

  template <typename Body>
  void Start(Lab& lab, Body body) {
    thread = std::thread([this, body] {
      // The main thread is pinned to CPU 0; ghost threads go anywhere.
      cpu_set_t all;
      CPU_ZERO(&all);
      for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) CPU_SET(cpu, &all);
      sched_setaffinity(0, sizeof(all), &all);
      tid.store(Gettid());
      while (gate.load() == 0) gate.wait(0);
      body();
    });
    while (tid.load() == 0) usleep(100);
    // Move it in asleep: a running thread would keep its CPU (K2).
    const std::string stat = absl::StrCat("/proc/self/task/", tid.load(),
                                          "/stat");
    for (int i = 0; i < 4000; ++i) {
      absl::StatusOr<std::string> text = ReadGhostfsFile(stat);
      if (text.ok() && text->find(") S ") != std::string::npos) break;
      usleep(250);
    }
    if (absl::Status s = lab.enclave->AddTask(tid.load()); !s.ok()) {
      Die(s, "move a thread in");
    }
    gtid = *GetGtid(tid.load());
  }
  void Go() {
    gate.store(1);
    gate.notify_all();
  }
};

// The local round trip: commit on our CPU and block; the thread yields back.
double GhostLocalSchedule(int rounds) {
  Lab lab = MakeLab(40, true);
  GhostThread w;
  std::atomic<bool> stop{false};
  w.Start(lab, [&] {
    while (!stop.load()) sched_yield();
  });
  double result = 0;
  std::thread agent([&] {
    absl::StatusOr<uint32_t> sw = AttachAgent(lab.dir.get(), kAgentCpu);
    if (!sw.ok()) Die(sw.status(), "attach");
    w.Go();
    uint32_t seq = 0;
    int failures = 0;
    bool runnable = false;
    int done = 0;
    uint64_t start = 0;
    const uint32_t flags = GHOST_RUN_F_WAKE_ON_YIELD |
                           GHOST_RUN_F_WAKE_ON_BLOCK |
                           GHOST_RUN_F_WAKE_ON_PREEMPT;
    while (done < rounds) {
      const uint32_t barrier = lab.words->Read(*sw).barrier;
      ghost_msg m;
      while (lab.queue->ring().Pop(&m)) {
        if (m.gtid != w.gtid) continue;
        seq = m.seqnum;
        runnable = m.type == GHOST_MSG_WAKEUP || m.type == GHOST_MSG_YIELD ||
                   m.type == GHOST_MSG_PREEMPTED ||
                   (m.type == GHOST_MSG_NEW && (m.flags & GHOST_MSG_F_RUNNABLE));
      }
      if (!runnable) {
        (void)BlockAgent(barrier);
        continue;
      }
      if (start == 0) start = NowNs();
      ghost_txn* txn = lab.cpu_data->txn(kAgentCpu);
      CpuDataRegion::Fill(txn, w.gtid, seq, barrier, flags);
      const int cpu = kAgentCpu;
      (void)Commit(&cpu, 1, GHOST_COMMIT_F_BLOCK, barrier);
      const int32_t r = CpuDataRegion::Result(txn);
      if (r == GHOST_TXN_COMPLETE) {
        runnable = false;
        ++done;
      } else if (r != GHOST_TXN_TARGET_STALE && r != GHOST_TXN_AGENT_STALE &&
                 ++failures > 1000) {
        std::fprintf(stderr, "ghost_microbench: local commit fails: %s\n",
                     TxnResultName(r));
        std::exit(1);
      }
    }
    result = double(NowNs() - start) / rounds;
    stop.store(true);
    struct sched_param p = {.sched_priority = 0};
    sched_setscheduler(0, SCHED_OTHER, &p);
  });
  agent.join();
  DestroyLab(lab);  // the thread goes back to CFS and sees `stop`
  w.thread.join();
  return result;
}

// A spinning agent on CPU 1 latches threads on CPUs 2.. (nr_cpus of them)
// with one commit; ns from the commit to the last of them running.
double GhostRemoteLatch(int rounds, int nr_cpus) {
  Lab lab = MakeLab(41, false);
  std::vector<std::unique_ptr<GhostThread>> ws;
  std::vector<std::atomic<uint64_t>> ran(nr_cpus);
  std::atomic<bool> stop{false};
  for (int i = 0; i < nr_cpus; ++i) {
    ws.push_back(std::make_unique<GhostThread>());
    ran[i].store(0);
    ws[i]->Start(lab, [&, i] {
      while (!stop.load()) {
        if (ran[i].load() == 0) ran[i].store(NowNs());
        sched_yield();  // off the CPU; runs again only when latched
      }
    });
  }
  double result = 0;
  std::thread agent([&] {
    absl::StatusOr<uint32_t> sw = AttachAgent(lab.dir.get(), kAgentCpu);
    if (!sw.ok()) Die(sw.status(), "attach");
    std::vector<uint32_t> seq(nr_cpus, 0);
    std::vector<bool> runnable(nr_cpus, false);
    std::vector<int> cpus(nr_cpus);
    for (int i = 0; i < nr_cpus; ++i) cpus[i] = 2 + i;
    for (auto& w : ws) w->Go();
    uint64_t total = 0;
    int done = 0;
    while (done < rounds) {
      ghost_msg m;
      while (lab.queue->ring().Pop(&m)) {
        for (int i = 0; i < nr_cpus; ++i) {
          if (m.gtid != ws[i]->gtid) continue;
          seq[i] = m.seqnum;
          runnable[i] =
              m.type == GHOST_MSG_YIELD || m.type == GHOST_MSG_WAKEUP ||
              m.type == GHOST_MSG_PREEMPTED ||
              (m.type == GHOST_MSG_NEW && (m.flags & GHOST_MSG_F_RUNNABLE));
        }
      }
      bool all = true;
      for (int i = 0; i < nr_cpus; ++i) all = all && runnable[i];
      if (!all) continue;
      for (int i = 0; i < nr_cpus; ++i) {
        ran[i].store(0);
        CpuDataRegion::Fill(lab.cpu_data->txn(cpus[i]), ws[i]->gtid, seq[i],
                            0, 0);
        runnable[i] = false;
      }
      const uint64_t t0 = NowNs();
      (void)Commit(cpus.data(), nr_cpus, 0);
      uint64_t last = 0;
      bool ok = true;
      for (int i = 0; i < nr_cpus; ++i) {
        if (CpuDataRegion::Result(lab.cpu_data->txn(cpus[i])) !=
            GHOST_TXN_COMPLETE) {
          ok = false;
        }
      }
      if (!ok) continue;  // a stale barrier: read the news and retry
      for (int i = 0; i < nr_cpus; ++i) {
        while (ran[i].load() == 0) {
        }
        last = std::max<uint64_t>(last, ran[i].load());
      }
      total += last - t0;
      ++done;
    }
    result = double(total) / rounds;
    stop.store(true);
    struct sched_param p = {.sched_priority = 0};
    sched_setscheduler(0, SCHED_OTHER, &p);
  });
  agent.join();
  DestroyLab(lab);
  for (auto& w : ws) w->thread.join();
  return result;
}

// An event of a (blocked) ghost thread, produced from CPU 0, reaching the
// agent on CPU 1: blocked in ghost_run() or spinning on its queue.
double GhostMessageDelivery(int rounds, bool spinning) {
  Lab lab = MakeLab(42, !spinning);
  GhostThread w;
  std::atomic<int> release{0};
  w.Start(lab, [&] {
    while (release.load() == 0) release.wait(0);
  });
  std::atomic<bool> ready{false};
  std::atomic<int> received{0};
  uint64_t total = 0;
  std::thread agent([&] {
    absl::StatusOr<uint32_t> sw = AttachAgent(lab.dir.get(), kAgentCpu);
    if (!sw.ok()) Die(sw.status(), "attach");
    ghost_msg m;
    while (lab.queue->ring().Pop(&m)) {
    }
    ready.store(true);
    while (received.load() < rounds) {
      const uint32_t barrier = lab.words->Read(*sw).barrier;
      bool got = false;
      while (lab.queue->ring().Pop(&m)) {
        if (m.type == GHOST_MSG_PRIORITY_CHANGED) {
          total += NowNs() - m.time;
          got = true;
        }
      }
      if (got) {
        received.fetch_add(1);
      } else if (!spinning) {
        (void)BlockAgent(barrier);
      }
    }
    struct sched_param p = {.sched_priority = 0};
    sched_setscheduler(0, SCHED_OTHER, &p);
  });
  while (!ready.load()) usleep(100);
  for (int i = 0; i < rounds; ++i) {
    const int before = received.load();
    setpriority(PRIO_PROCESS, w.tid.load(), 1 + i % 2);
    while (received.load() == before) {
    }
    if (!spinning) usleep(100);  // let the agent fall asleep again
  }
  agent.join();
  DestroyLab(lab);
  release.store(1);
  release.notify_all();
  w.thread.join();
  return double(total) / rounds;
}

struct Row {
  std::string name;
  double ghost_ns;
  double cfs_ns;  // 0: no CFS counterpart
};

int Main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  setvbuf(stdout, nullptr, _IONBF, 0);
  const int rounds = absl::GetFlag(FLAGS_rounds);
  if (absl::Status s = EnsureGhostfsMounted(GHOSTFS_MOUNT_POINT); !s.ok()) {
    Die(s, "mount ghostfs");
  }
  Pin(0);
  auto measure = [](const char* what, auto fn) {
    std::printf("measuring: %s\n", what);
    return fn();
  };
  const double cfs_switch =
      measure("CFS ping-pong", [&] { return CfsPingPong(rounds); });
  const double cfs_wake = measure(
      "CFS cross-CPU wakeup", [&] { return CfsCrossCpuWakeup(rounds / 4); });
  std::vector<Row> rows = {
      {"local schedule round trip",
       measure("ghost local schedule",
               [&] { return GhostLocalSchedule(rounds); }),
       cfs_switch},
      {"remote latch, 1 CPU",
       measure("ghost remote latch x1",
               [&] { return GhostRemoteLatch(rounds / 4, 1); }),
       cfs_wake},
      {"remote latch, 2 CPUs in one commit",
       measure("ghost remote latch x2",
               [&] { return GhostRemoteLatch(rounds / 4, 2); }),
       cfs_wake},
      {"message to a blocked agent",
       measure("message to a blocked agent",
               [&] { return GhostMessageDelivery(rounds / 4, false); }),
       0},
      {"message to a spinning agent",
       measure("message to a spinning agent",
               [&] { return GhostMessageDelivery(rounds / 4, true); }),
       0},
  };
  std::printf("%-38s %12s %12s %8s\n", "measurement", "ghost ns", "CFS ns",
              "ratio");
  std::string json = "{\n  \"rounds\": " + std::to_string(rounds) +
                     ",\n  \"results\": [\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    const double ratio = r.cfs_ns > 0 ? r.ghost_ns / r.cfs_ns : 0;
    std::printf("%-38s %12.0f %12s %8s\n", r.name.c_str(), r.ghost_ns,
                r.cfs_ns > 0 ? absl::StrFormat("%.0f", r.cfs_ns).c_str() : "-",
                r.cfs_ns > 0 ? absl::StrFormat("%.2fx", ratio).c_str() : "-");
    json += absl::StrFormat(
        "    {\"name\": \"%s\", \"ghost_ns\": %.0f, \"cfs_ns\": %.0f, "
        "\"ratio\": %.3f}%s\n",
        r.name, r.ghost_ns, r.cfs_ns, ratio, i + 1 < rows.size() ? "," : "");
  }
  json += "  ]\n}\n";
  std::printf(
      "ratio = ghost / CFS in this boot (CFS: futex ping-pong round trip; "
      "futex wakeup across CPUs)\n");
  if (const std::string path = absl::GetFlag(FLAGS_json); !path.empty()) {
    std::ofstream(path) << json;
  }
  return 0;
}

}  // namespace
}  // namespace ghost

int main(int argc, char** argv) { return ghost::Main(argc, argv); }
