// agent_fifo: schedules an enclave's threads first-come first-served.
//
//   agent_fifo --mode=percpu --cpus=1-3             # new enclave, CPUs 1-3
//   agent_fifo --mode=centralized --enclave=4       # an existing enclave
//
// --mode=percpu: each CPU's agent runs its own FIFO and steals from others.
// --mode=centralized: one global agent fills every other CPU, one commit
// per round.
//
// SIGINT/SIGTERM stop it. --on_exit=destroy destroys the enclave (its
// threads go back to CFS); --on_exit=keep leaves it for a successor (its
// threads wait). The default destroys an enclave this agent created and
// keeps one it attached to.
//
// If the enclave is destroyed under it (the watchdog, `ghostctl destroy`),
// it says why (the kernel's reason from /sys/fs/ghost/destroyed) and exits
// with status 1 at once.
//
// In-place upgrade: started on an enclave that another agent_fifo runs, it
// takes over (--takeover, on by default): it makes its queue the enclave's
// default, signals the old agent (SIGUSR1: hand over and exit, keeping the
// enclave), attaches as soon as each CPU is free, and rediscovers every
// thread from the status words. It prints how long the hand-over left the
// enclave without a commit ("blackout").
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "agents/agent_fifo/takeover.h"
#include "lib/abi_version.h"
#include "lib/agent.h"
#include "lib/cpu_data_region.h"
#include "lib/cpu_list.h"
#include "lib/enclave.h"
#include "lib/ghost_kernel.h"
#include "lib/ghostfs_mount.h"
#include "lib/privilege.h"
#include "lib/task.h"
#include "lib/task_table.h"
#include "lib/topology.h"
#include "lib/uapi/linux/ghost.h"
#include "schedulers/fifo/centralized/centralized_fifo_scheduler.h"
#include "schedulers/fifo/percpu/percpu_fifo_scheduler.h"

ABSL_FLAG(std::string, mode, "percpu", "percpu or centralized");
ABSL_FLAG(int, enclave, -1,
          "The enclave id. Without --cpus it must exist; with --cpus it is "
          "created (default: the lowest free id).");
ABSL_FLAG(std::string, cpus, "",
          "Create the enclave with these CPUs (a list like 1-3,5).");
ABSL_FLAG(std::string, on_exit, "",
          "destroy or keep the enclave on SIGINT/SIGTERM (default: destroy "
          "one this agent created, keep one it attached to)");
ABSL_FLAG(bool, takeover, true,
          "Take over from another agent_fifo running the enclave.");
ABSL_FLAG(absl::Duration, slice, absl::ZeroDuration(),
          "centralized: preempt a thread after this long if others wait "
          "(0: never)");
ABSL_FLAG(absl::Duration, attach_timeout, absl::Seconds(10),
          "How long to wait for CPUs that still have an agent.");
ABSL_FLAG(std::string, sysfs, "/sys", "Where sysfs is (for the topology).");
ABSL_FLAG(std::string, ghostfs, GHOSTFS_MOUNT_POINT, "Where ghostfs is.");

namespace ghost {
namespace {

struct Options {
  bool centralized = false;
  bool destroy_on_exit = false;
};

// One of the two policies, behind what main needs of it.
struct Policy {
  std::unique_ptr<fifo::PerCpuFifoScheduler> percpu;
  std::unique_ptr<fifo::CentralizedFifoScheduler> centralized;

  AgentLoop& loop() {
    return percpu ? static_cast<AgentLoop&>(*percpu) : *centralized;
  }
  const fifo::TxnCounters& txns() const {
    return percpu ? percpu->txns() : centralized->txns();
  }
  const Scheduler::Stats& stats() const {
    return percpu ? percpu->stats() : centralized->stats();
  }
  absl::Status Init() { return percpu ? percpu->Init() : centralized->Init(); }
  TaskTable& tasks() {
    return percpu ? percpu->tasks() : centralized->tasks();
  }
};

absl::StatusOr<unsigned int> FirstFreeEnclaveId(const std::string& ghostfs) {
  absl::StatusOr<std::vector<unsigned int>> ids = ListEnclaveIds(ghostfs);
  if (!ids.ok()) return ids.status();
  unsigned int id = 1;
  for (unsigned int used : *ids) {
    if (used == id) ++id;
  }
  return id;
}

// The enclave to schedule, and whether this agent created it.
absl::StatusOr<std::pair<Enclave, bool>> OpenOrCreateEnclave() {
  const std::string ghostfs = absl::GetFlag(FLAGS_ghostfs);
  const std::string cpus = absl::GetFlag(FLAGS_cpus);
  const int id = absl::GetFlag(FLAGS_enclave);
  if (cpus.empty()) {
    if (id < 0) {
      return absl::InvalidArgumentError(
          "name an enclave with --enclave=N, or create one with --cpus=LIST");
    }
    Enclave e(id, ghostfs);
    if (access(e.dir().c_str(), F_OK) != 0) {
      return absl::NotFoundError(absl::StrCat(
          "no enclave ", id, " (", e.dir(),
          "): create it with ghostctl, or pass --cpus=LIST to create it here"));
    }
    return std::make_pair(e, false);
  }
  if (absl::StatusOr<std::vector<int>> parsed = ParseCpuList(cpus);
      !parsed.ok()) {
    return parsed.status();
  }
  absl::StatusOr<unsigned int> new_id =
      id >= 0 ? absl::StatusOr<unsigned int>(id) : FirstFreeEnclaveId(ghostfs);
  if (!new_id.ok()) return new_id.status();
  absl::StatusOr<Enclave> e = Enclave::Create(*new_id, ghostfs);
  if (!e.ok()) return e.status();
  if (absl::Status s = e->SetCpus(cpus); !s.ok()) {
    (void)e->Destroy();
    return absl::Status(
        s.code(), absl::StrCat(s.message(), " (are CPUs ", cpus,
                               " online and in no other enclave?)"));
  }
  return std::make_pair(*e, true);
}

absl::StatusOr<Options> ParseOptions() {
  Options o;
  const std::string mode = absl::GetFlag(FLAGS_mode);
  if (mode != "percpu" && mode != "centralized") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--mode=", mode, " is not a mode: use percpu or centralized"));
  }
  o.centralized = mode == "centralized";
  const std::string on_exit = absl::GetFlag(FLAGS_on_exit);
  if (!on_exit.empty() && on_exit != "destroy" && on_exit != "keep") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--on_exit=", on_exit, " is not a choice: use destroy or keep"));
  }
  o.destroy_on_exit = on_exit == "destroy" ||
                      (on_exit.empty() && !absl::GetFlag(FLAGS_cpus).empty());
  return o;
}

// The agent_fifo processes to take over from (error for other agents).
absl::StatusOr<std::vector<pid_t>> PredecessorsOf(
    const Enclave& enclave, const StatusWordRegion& words) {
  absl::StatusOr<std::vector<AgentProcess>> agents =
      FindAgentProcesses(enclave, words);
  if (!agents.ok()) return agents.status();
  std::vector<pid_t> pids;
  for (const AgentProcess& a : *agents) {
    if (a.comm != "agent_fifo") {
      return absl::FailedPreconditionError(absl::StrCat(
          "enclave ", enclave.id(), " is run by process ", a.pid, " (", a.comm,
          "), which is not agent_fifo: stop it first"));
    }
    if (!absl::GetFlag(FLAGS_takeover)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "enclave ", enclave.id(), " is run by agent_fifo ", a.pid,
          ": stop it, or pass --takeover to replace it in place"));
    }
    pids.push_back(a.pid);
  }
  return pids;
}

// An agent thread found the enclave destroyed (sent to ourselves).
constexpr int kEnclaveDestroyedSignal = SIGUSR2;

// Signals go to the main thread's sigwait; agent threads inherit the mask.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, kEnclaveDestroyedSignal);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

constexpr size_t kAgentStackBytes = 512 * 1024;

// The stack size of threads created from now on (the agent threads).
void SetThreadStackSize(size_t bytes) {
  pthread_attr_t attr;
  if (pthread_getattr_default_np(&attr) != 0) return;
  pthread_attr_setstacksize(&attr, bytes);
  pthread_setattr_default_np(&attr);
  pthread_attr_destroy(&attr);
}

// Waits for a stop signal (or word that the enclave is gone). While a
// take-over is in progress, also watches
// for the first commit, to print the blackout.
int WaitForSignal(const sigset_t& set, const Policy& policy,
                  std::optional<absl::Time> takeover_start) {
  for (;;) {
    struct timespec tick = {.tv_sec = 0, .tv_nsec = 200 * 1000};
    const int sig = takeover_start ? sigtimedwait(&set, nullptr, &tick)
                                   : sigwaitinfo(&set, nullptr);
    if (sig > 0) return sig;
    if (takeover_start && policy.txns().completed() > 0) {
      std::printf("agent_fifo: blackout %.3f ms (takeover signal to first "
                  "commit)\n",
                  absl::ToDoubleMilliseconds(absl::Now() - *takeover_start));
      std::fflush(stdout);
      takeover_start.reset();
    }
  }
}

// What the agent believes about its threads, and its commit failures by
// result: for the log of a run that went wrong.
void PrintCensus(Policy& policy) {
  int by_state[6] = {};
  int queued = 0;
  std::string running;  // which threads it believes run where
  std::string blocked;  // which it believes asleep
  std::string unqueued;  // runnable, yet on no run queue: a lost thread
  policy.tasks().ForEach([&](Task* t) {
    by_state[static_cast<int>(t->state)]++;
    if (t->queued()) ++queued;
    if (t->state == TaskState::kRunning) {
      absl::StrAppend(&running, " ", t->sw_index, "@", t->cpu);
    } else if (t->state == TaskState::kBlocked) {
      absl::StrAppend(&blocked, " ", t->sw_index);
    } else if (t->state == TaskState::kRunnable && !t->queued()) {
      absl::StrAppend(&unqueued, " ", t->sw_index);
    }
  });
  std::string failures;
  const fifo::TxnCounters& txns = policy.txns();
  for (int32_t r = GHOST_TXN_COMPLETE + 1;
       r < static_cast<int32_t>(txns.by_result.size()); ++r) {
    if (uint64_t n = txns.by_result[r].load()) {
      absl::StrAppend(&failures, " ", TxnResultName(r), "=", n);
    }
  }
  const Scheduler::Stats& st = policy.stats();
  std::printf("agent_fifo: census: %d tasks (%d blocked, %d runnable, %d "
              "running, %d queued); messages %llu, stale %llu, gaps %llu, "
              "illegal %llu, adopted %llu, resyncs %llu; failed commits:%s; "
              "running (word@cpu):%s; blocked (word):%s; runnable but not "
              "queued (word):%s\n",
              policy.tasks().live(), by_state[1], by_state[2], by_state[3],
              queued, static_cast<unsigned long long>(st.messages.load()),
              static_cast<unsigned long long>(st.stale.load()),
              static_cast<unsigned long long>(st.gaps.load()),
              static_cast<unsigned long long>(st.illegal.load()),
              static_cast<unsigned long long>(st.adopted.load()),
              static_cast<unsigned long long>(st.resyncs.load()),
              failures.empty() ? " none" : failures.c_str(), running.c_str(),
              blocked.c_str(), unqueued.c_str());
  std::fflush(stdout);
}

// Why the enclave was destroyed under the stopped agents, if it was.
std::optional<std::string> DestroyedUnder(const AgentGroup& group,
                                          KernelInterface& kernel) {
  if (std::optional<std::string> why = group.destroyed()) return why;
  absl::StatusOr<std::optional<std::string>> why = kernel.WhyDestroyed();
  if (!why.ok()) {
    std::cerr << "agent_fifo: " << why.status().message() << "\n";
    return std::nullopt;
  }
  return *why;
}

Policy MakePolicy(KernelInterface& kernel, const std::vector<int>& cpus,
                  const Options& o, const Topology* topology) {
  Policy p;
  if (o.centralized) {
    p.centralized = std::make_unique<fifo::CentralizedFifoScheduler>(
        kernel, cpus,
        fifo::CentralizedFifoScheduler::Options{
            .slice = absl::GetFlag(FLAGS_slice), .topology = topology});
  } else {
    p.percpu = std::make_unique<fifo::PerCpuFifoScheduler>(kernel, cpus);
  }
  return p;
}

absl::Status Run() {
  const absl::Time start = absl::Now();
  absl::StatusOr<Options> o = ParseOptions();
  if (!o.ok()) return o.status();
  // An agent maps cpu_data and the status words and attaches to CPUs.
  if (absl::Status s = RequireEnclaveControl(
          "scheduling an enclave", CallerPrivileges());
      !s.ok()) {
    return s;
  }
  const std::string ghostfs = absl::GetFlag(FLAGS_ghostfs);
  if (absl::Status s = EnsureGhostfsMounted(ghostfs); !s.ok()) return s;
  if (absl::Status s = CheckKernelAbiVersion(ghostfs); !s.ok()) return s;
  absl::StatusOr<std::pair<Enclave, bool>> opened = OpenOrCreateEnclave();
  if (!opened.ok()) return opened.status();
  Enclave& enclave = opened->first;

  absl::StatusOr<std::unique_ptr<GhostKernel>> kernel =
      GhostKernel::Open(enclave);
  if (!kernel.ok()) return kernel.status();
  absl::StatusOr<std::vector<pid_t>> old =
      PredecessorsOf(enclave, (*kernel)->words());
  if (!old.ok()) return old.status();
  absl::StatusOr<std::vector<int>> cpus = (*kernel)->EnclaveCpus();
  if (!cpus.ok()) return cpus.status();
  if (cpus->empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "enclave ", enclave.id(),
        " has no CPUs: give it some (ghostctl cpus, or --cpus here)"));
  }
  absl::StatusOr<Topology> topology =
      Topology::FromSysfs(absl::GetFlag(FLAGS_sysfs));
  if (!topology.ok()) {
    std::cerr << "agent_fifo: no topology (" << topology.status()
              << "); the centralized role moves to any CPU\n";
  }

  Policy policy =
      MakePolicy(**kernel, *cpus, *o, topology.ok() ? &*topology : nullptr);
  // Our queue becomes the default: from here on, new threads' messages
  // come to us even while the old agent is leaving.
  if (absl::Status s = policy.Init(); !s.ok()) return s;

  const sigset_t stop_signals = BlockStopSignals();
  // Agent threads need little stack; with everything locked, the default
  // 8 MiB each would be faulted in while the enclave waits for us.
  SetThreadStackSize(kAgentStackBytes);
  // Page faults on the hot path would stall every CPU we schedule.
  if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
    std::cerr << "agent_fifo: mlockall failed (" << std::strerror(errno)
              << "); running unlocked\n";
  }
  std::optional<absl::Time> takeover_start;
  if (!old->empty()) takeover_start = absl::Now();
  for (pid_t pid : *old) kill(pid, SIGUSR1);

  const absl::Time attach_start = absl::Now();
  absl::StatusOr<std::unique_ptr<AgentGroup>> group = AgentGroup::Start(
      **kernel, *cpus, policy.loop(), absl::GetFlag(FLAGS_attach_timeout),
      [] { kill(getpid(), kEnclaveDestroyedSignal); });
  if (!group.ok()) return group.status();
  const std::string took_over =
      old->empty() ? ""
                   : absl::StrFormat(
                         ", took over from pid %d (start %.3f ms: waited "
                         "%.3f ms for the old agent, discovery %.3f ms)",
                         old->front(),
                         absl::ToDoubleMilliseconds(absl::Now() -
                                                    attach_start),
                         absl::ToDoubleMilliseconds(
                             (*group)->longest_attach_wait()),
                         absl::ToDoubleMilliseconds(
                             (*group)->all_attached_time()));
  // Until now an enclave without an agent waited (its watchdog counts).
  std::printf("agent_fifo: ready: enclave %u, mode %s, CPUs %s, %zu "
              "threads found%s; ready in %.0f ms (attach and discovery "
              "%.0f ms)\n",
              enclave.id(), absl::GetFlag(FLAGS_mode).c_str(),
              FormatCpuList(*cpus).c_str(),
              static_cast<size_t>(policy.stats().adopted.load()),
              took_over.c_str(),
              absl::ToDoubleMilliseconds(absl::Now() - start),
              absl::ToDoubleMilliseconds(absl::Now() - attach_start));
  std::fflush(stdout);

  const int sig = WaitForSignal(stop_signals, policy, takeover_start);
  PrintCensus(policy);
  (*group)->Stop();
  // Gone under the agents (they said so), or just now, while they were
  // stopping: then there is nothing left to keep or destroy.
  if (std::optional<std::string> why = DestroyedUnder(**group, **kernel)) {
    std::printf("agent_fifo: enclave gone: %llu commits completed, %llu "
                "failed, %llu messages\n",
                static_cast<unsigned long long>(policy.txns().completed()),
                static_cast<unsigned long long>(policy.txns().failed()),
                static_cast<unsigned long long>(
                    policy.stats().messages.load()));
    std::fflush(stdout);
    return absl::AbortedError(
        absl::StrCat("enclave ", enclave.id(), " was destroyed by the kernel: ",
                     *why, "; its threads are back in CFS"));
  }
  const bool destroy = sig != SIGUSR1 && o->destroy_on_exit;
  std::printf("agent_fifo: %s: %llu commits completed, %llu failed, %llu "
              "messages; enclave %u %s\n",
              sig == SIGUSR1 ? "handed over" : "stopped",
              static_cast<unsigned long long>(policy.txns().completed()),
              static_cast<unsigned long long>(policy.txns().failed()),
              static_cast<unsigned long long>(policy.stats().messages.load()),
              enclave.id(), destroy ? "destroyed" : "kept");
  std::fflush(stdout);
  if (destroy) return enclave.Destroy();
  return absl::OkStatus();
}

}  // namespace
}  // namespace ghost

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "FIFO scheduling of a ghost enclave.\n"
      "  agent_fifo --mode=percpu|centralized --cpus=LIST   (new enclave)\n"
      "  agent_fifo --mode=percpu|centralized --enclave=N   (existing one)");
  absl::ParseCommandLine(argc, argv);
  if (absl::Status s = ghost::Run(); !s.ok()) {
    std::cerr << "agent_fifo: " << s.message() << "\n";
    return 1;
  }
  return 0;
}
