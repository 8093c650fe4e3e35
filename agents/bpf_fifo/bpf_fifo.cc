// bpf_fifo: schedules an enclave entirely in BPF, first come first served
// (bpf/ghost_bpf_fifo.bpf.c): no agent; the kernel runs the BPF hooks.
//
//   bpf_fifo --enclave=4               # an existing enclave
//   bpf_fifo --enclave=4 --cpus=1-3    # creates it; destroys it on exit
//
// Prints "ready" once attached, its counters every --stats_interval and on
// exit. SIGINT or SIGTERM detach the programs and exit 0; the enclave's
// threads then wait for another scheduler (or the watchdog). If the
// kernel detaches the programs (their enclave was destroyed, or a hook
// failed), it says why and exits 1.
#include <signal.h>
#include <time.h>

#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bpf/ghost_bpf_fifo.skel.h"
#include "lib/abi/enclave.h"
#include "lib/abi/ghostfs_mount.h"
#include "lib/bpf/ghost_bpf_ops.h"
#include "lib/bpf/verifier_log.h"
#include "lib/uapi/linux/ghost.h"

ABSL_FLAG(int, enclave, -1, "the enclave to schedule");
ABSL_FLAG(std::string, cpus, "",
          "create the enclave with these CPUs (and destroy it on exit)");
ABSL_FLAG(absl::Duration, stats_interval, absl::ZeroDuration(),
          "print the counters this often (0: only on exit)");

namespace ghost {
namespace {

constexpr char kName[] = "bpf_fifo";

std::string Counters(const ghost_bpf_fifo* skel) {
  static const char* const kResults[GHOST_TXN_NR_RESULTS] = {
      "complete", "not_found", "stale",    "not_runnable",
      "oncpu",    "agent_stale", "not_allowed", "not_in_enclave",
      "invalid",  "poisoned",  "no_agent"};
  const auto* b = skel->bss;
  std::string out = absl::StrCat(
      "bpf_fifo: msgs ", b->nr_msgs, " picks ", b->nr_picks, " latched ",
      b->nr_latched, " preempted ", b->nr_preempted, " queued ",
      b->nr_queued, " requeued ", b->nr_requeued, " busy ", b->nr_busy,
      " push_failed ", b->nr_push_failed, "; latch results:");
  for (int i = 0; i < GHOST_TXN_NR_RESULTS; ++i) {
    if (b->latch_results[i]) {
      absl::StrAppend(&out, " ", kResults[i], "=", b->latch_results[i]);
    }
  }
  return out;
}

// Why the kernel detached our ops from `id`, if it did.
std::optional<std::string> DetachedReason(const Enclave& enclave) {
  absl::StatusOr<std::string> now =
      ReadGhostfsFile(absl::StrCat(enclave.dir(), "/bpf"));
  if (now.ok() && absl::StripAsciiWhitespace(*now) == kName) {
    return std::nullopt;
  }
  absl::StatusOr<std::string> log = ReadGhostfsFile(
      absl::StrCat(enclave.mount_point(), "/bpf_detached"));
  std::string reason = "the kernel detached them";
  if (log.ok()) {
    const std::string prefix = absl::StrCat(enclave.id(), " ", kName, " ");
    for (absl::string_view line : absl::StrSplit(*log, '\n')) {
      if (absl::ConsumePrefix(&line, prefix)) reason = std::string(line);
    }
  }
  return reason;
}

// Waits for SIGINT/SIGTERM, printing the counters; returns the exit code.
int Serve(const Enclave& enclave, const ghost_bpf_fifo* skel) {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  const absl::Duration every = absl::GetFlag(FLAGS_stats_interval);
  absl::Time next_stats = absl::Now() + every;
  for (;;) {
    const timespec tick = absl::ToTimespec(absl::Milliseconds(200));
    if (sigtimedwait(&stop, nullptr, &tick) > 0) return 0;
    if (std::optional<std::string> why = DetachedReason(enclave)) {
      std::cout << "bpf_fifo: the kernel detached it from enclave "
                << enclave.id() << ": " << *why << "\n"
                << Counters(skel) << std::endl;
      return 1;
    }
    if (every > absl::ZeroDuration() && absl::Now() >= next_stats) {
      std::cout << Counters(skel) << std::endl;
      next_stats += every;
    }
  }
}

int Run() {
  const int id = absl::GetFlag(FLAGS_enclave);
  if (id < 0) {
    std::cerr << "bpf_fifo: --enclave=N is required\n";
    return 2;
  }
  if (absl::Status s = EnsureGhostfsMounted(GHOSTFS_MOUNT_POINT); !s.ok()) {
    std::cerr << "bpf_fifo: " << s.message() << "\n";
    return 1;
  }
  std::optional<Enclave> created;
  Enclave enclave(id, GHOSTFS_MOUNT_POINT);
  if (const std::string cpus = absl::GetFlag(FLAGS_cpus); !cpus.empty()) {
    absl::StatusOr<Enclave> e = Enclave::Create(id);
    absl::Status s = e.ok() ? e->SetCpus(cpus) : e.status();
    if (!s.ok()) {
      std::cerr << "bpf_fifo: enclave " << id << ": " << s.message() << "\n";
      if (e.ok()) (void)e->Destroy();
      return 1;
    }
    created.emplace(*e);
  }

  // Signals wait for sigtimedwait() from here on.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  sigprocmask(SIG_BLOCK, &stop, nullptr);

  VerifierLog log;
  ghost_bpf_fifo* skel = ghost_bpf_fifo__open_opts(log.open_opts());
  int code = 1;
  absl::Status s = skel ? GhostBpfOps::Prepare(skel->maps.fifo_ops)
                        : absl::InternalError("opening bpf_fifo failed");
  if (s.ok()) s = log.LoadStatus(ghost_bpf_fifo__load(skel), kName);
  if (s.ok()) {
    absl::StatusOr<GhostBpfOps> ops =
        GhostBpfOps::Attach(skel->obj, skel->maps.fifo_ops, id, kName);
    s = ops.status();
    if (ops.ok()) {
      std::cout << "bpf_fifo: ready: enclave " << id << " is scheduled in BPF"
                << std::endl;
      code = Serve(enclave, skel);
      ops->Detach();
      std::cout << Counters(skel) << std::endl;
    }
  }
  if (!s.ok()) std::cerr << "bpf_fifo: " << s.message() << "\n";
  ghost_bpf_fifo__destroy(skel);
  if (created) {
    absl::Status d = created->Destroy();
    std::cout << "bpf_fifo: enclave " << id
              << (d.ok() ? " destroyed" : absl::StrCat(" not destroyed: ",
                                                        d.message()))
              << std::endl;
  }
  return code;
}

}  // namespace
}  // namespace ghost

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Schedules a ghost enclave entirely in BPF, first come first served.\n"
      "  bpf_fifo --enclave=N [--cpus=LIST] [--stats_interval=1s]");
  absl::ParseCommandLine(argc, argv);
  return ghost::Run();
}
