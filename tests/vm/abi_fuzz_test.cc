// The ABI fuzzer (TESTING.md "robustness"): for a bounded time, random and
// mutated operations on every part of the ghost ABI, from several threads
// at once, against the real kernel:
//   - the main thread writes good, bad and mutated text into every ghostfs
//     file, reads every file, calls ghost_run() with random ops, sizes,
//     pointers, fds and fields, maps cpu_data, sw_0 and queues in odd ways
//     and scribbles into the slots;
//   - a rogue agent attaches to enclave CPUs and commits random
//     transactions (wrong gtids, stale barriers, foreign or offline CPUs,
//     bad run flags, mixed sync groups, garbage slot states) while real
//     worker threads sleep, yield and spin in its enclave; it never spins
//     at agent priority: it sleeps after every short burst, and a pinger
//     wakes it from GHOST_OP_AGENT_BLOCK;
//   - a churn thread creates and destroys enclaves, moves workers between
//     them, destroys the rogue agent's enclave under it and takes an agent's
//     CPU (or CPU 3) offline and back.
// Every result is checked against docs/abi.md (fuzz_support.h's ledger):
// an errno the ABI does not document, or a success where it says the input
// must be rejected, is a finding and fails the test. Afterwards the kernel
// must be healthy: every worker finishes under CFS once the enclaves are
// gone, no enclave is left, /sys/fs/ghost/ctl still works and a real agent
// still schedules. Panics, WARNs, lockdep and KASAN reports fail the lab
// run by themselves.
//
// The seed is printed first; GHOST_FUZZ_SEED=<seed> replays a run (each
// thread repeats its choices; the interleaving is the kernel's),
// GHOST_FUZZ_SECONDS sets the duration (default 40) and GHOST_FUZZ_TRACE=1
// prints every operation before it runs (GHOST_FUZZ_NO_HOTPLUG=1 keeps every
// CPU online):
//   tools/ghost lab run --flavour debug
//       'GHOST_FUZZ_SEED=42 GHOST_FUZZ_TRACE=1 ghost_vm_tests
//        --gtest_filter=AbiFuzz*'
// CPU 0 never joins an enclave, so the test harness always has a CPU.
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/cpu_data_region.h"
#include "lib/enclave.h"
#include "lib/ghost_run.h"
#include "lib/ghostfs_mount.h"
#include "lib/uapi/linux/ghost.h"
#include "tests/vm/fifo_test_agent.h"
#include "tests/vm/fuzz_support.h"
#include "tests/vm/vm_helpers.h"

ABSL_DECLARE_FLAG(absl::Duration, test_timeout);

namespace ghost {
namespace {

using ::ghost::testing::Allowed;
using ::ghost::testing::DestroyAllEnclaves;
using ::ghost::testing::ErrnoName;
using ::ghost::testing::FuzzLedger;
using ::ghost::testing::FuzzRng;
using ::ghost::testing::GuardedAccess;

const std::string kMount = GHOSTFS_MOUNT_POINT;
// Enclave ids the churn thread and the agent work with; the main thread
// also tries odd ones. kHomeId is where the rogue agent usually goes.
constexpr unsigned int kPoolBase = 4100;
constexpr int kPoolSize = 5;
constexpr unsigned int kHomeId = kPoolBase;
constexpr int kWorkers = 4;
// The lab VM has CPUs 0-3. Enclaves only ever get CPUs 1-3.
constexpr int kNrCpus = 4;
constexpr int kLastCpu = 3;
constexpr size_t kPage = 4096;
constexpr size_t kTxnBytes = kPage;  // PAGE_ALIGN(4 CPUs * 64 bytes)
constexpr size_t kSwBytes = GHOST_SW_REGION_WORDS * sizeof(ghost_status_word);
// A descriptor number nothing in this process opens: a "closed fd".
constexpr int kClosedFd = 1000;

pid_t Gettid() { return static_cast<pid_t>(syscall(SYS_gettid)); }

// The outcome of one system call.
struct Outcome {
  bool ok;
  int err;
  long ret;
};

Outcome Check(long r) { return {r >= 0, r >= 0 ? 0 : errno, r}; }

Outcome RawRun(unsigned int op, void* arg, unsigned int size) {
  return Check(syscall(__NR_ghost_run, op, arg, size));
}

// --- configuration ------------------------------------------------------

struct FuzzConfig {
  uint64_t seed;
  absl::Duration duration;
  bool trace;
  // GHOST_FUZZ_NO_HOTPLUG=1 keeps every CPU online, to look past a hotplug
  // finding until it is fixed; the default run takes CPUs offline.
  bool hotplug;
};

uint64_t EnvU64(const char* name, uint64_t fallback) {
  const char* v = getenv(name);
  uint64_t out;
  return v != nullptr && absl::SimpleAtoi(v, &out) ? out : fallback;
}

FuzzConfig ReadConfig() {
  FuzzConfig c;
  c.seed = EnvU64("GHOST_FUZZ_SEED",
                  static_cast<uint64_t>(absl::ToUnixNanos(absl::Now())) ^
                      static_cast<uint64_t>(getpid()));
  c.duration = absl::Seconds(EnvU64("GHOST_FUZZ_SECONDS", 40));
  c.trace = EnvU64("GHOST_FUZZ_TRACE", 0) != 0;
  c.hotplug = EnvU64("GHOST_FUZZ_NO_HOTPLUG", 0) == 0;
  return c;
}

// --- what docs/abi.md allows ---------------------------------------------

std::set<int> Plus(std::set<int> a, std::initializer_list<int> b) {
  a.insert(b);
  return a;
}

// "Errors common to all" of ghost_run(); E2BIG for a larger structure with
// non-zero extra bytes.
const std::set<int>& RunCommon() {
  static const std::set<int> s = {EINVAL, EFAULT, EBADF, ENODEV, EPERM, E2BIG};
  return s;
}

std::set<int> RunErrnos(unsigned int op, uint32_t commit_flags = 0) {
  switch (op) {
    case GHOST_OP_GET_GTID:
      return Plus(RunCommon(), {ESRCH});
    case GHOST_OP_SW_INFO:
      return Plus(RunCommon(), {ENOENT});
    case GHOST_OP_SW_FREE:
      return Plus(RunCommon(), {EBUSY, ENOENT});
    case GHOST_OP_ASSOC_QUEUE:
      return Plus(RunCommon(), {ESTALE, ENOENT});
    case GHOST_OP_AGENT_ATTACH:
      return Plus(RunCommon(), {EBUSY});
    case GHOST_OP_COMMIT:
      // With GHOST_COMMIT_F_BLOCK it blocks "as GHOST_OP_AGENT_BLOCK does".
      return (commit_flags & GHOST_COMMIT_F_BLOCK) ? Plus(RunCommon(), {EINTR})
                                                   : RunCommon();
    case GHOST_OP_AGENT_BLOCK:
      return Plus(RunCommon(), {ESTALE, EINTR});
    case GHOST_OP_AGENT_PING:
      return Plus(RunCommon(), {ENOENT});
    case GHOST_OP_CREATE_QUEUE:
    case GHOST_OP_CONFIG_QUEUE_WAKEUP:
    case GHOST_OP_ASSOC_CPU_QUEUE:
      return RunCommon();
    default:
      return {EINVAL};  // unknown op
  }
}

const char* OpName(unsigned int op) {
  static const char* const names[] = {
      "unknown",    "get_gtid",     "sw_info",      "sw_free",
      "create_queue", "assoc_queue", "queue_wakeup", "agent_attach",
      "commit",     "agent_block",  "agent_ping",   "assoc_cpu_queue"};
  return op < sizeof(names) / sizeof(names[0]) ? names[op] : "unknown";
}

// ghostfs files. Writes to an enclave's file may find the enclave gone:
// open says ENOENT, a write after removal ENODEV.
const std::set<int> kTopCtlErrnos = {EINVAL, EEXIST, ENOENT, ENODEV};
const std::set<int> kEnclaveCtlErrnos = {EINVAL, ENODEV};
const std::set<int> kCpulistErrnos = {EINVAL, ENODEV};
const std::set<int> kTasksErrnos = {ESRCH,  EINVAL, EALREADY, EBUSY,
                                    EPERM,  ENODEV, ENOSPC};
const std::set<int> kTicksErrnos = {EINVAL, ENODEV};
const std::set<int> kTimeoutErrnos = {EINVAL, EPERM, ENODEV};
// mmap(2) of ghost files: the ABI's EINVAL/EPERM, plus the mm layer's.
const std::set<int> kMmapErrnos = {EINVAL, EPERM,     EACCES, ENODEV,
                                   ENOMEM, EOVERFLOW};

// --- tracing ----------------------------------------------------------------

thread_local const char* tl_who = "main";
thread_local uint64_t tl_seq = 0;
std::atomic<bool> g_trace{false};

// With GHOST_FUZZ_TRACE=1, names each operation before it runs, so the
// last line before a kernel crash is the operation that caused it.
void Trace(absl::string_view what) {
  ++tl_seq;
  if (!g_trace.load(std::memory_order_relaxed)) return;
  const std::string line = absl::StrCat("# T ", tl_who, "#", tl_seq, " ",
                                        absl::CHexEscape(what), "\n");
  fputs(line.c_str(), stdout);
  fflush(stdout);
}

// --- small helpers ------------------------------------------------------

std::string EnclaveDir(unsigned int id) {
  return absl::StrCat(kMount, "/enclave_", id);
}

std::vector<unsigned int> LiveIds() {
  absl::StatusOr<std::vector<unsigned int>> ids = ListEnclaveIds(kMount);
  return ids.ok() ? *ids : std::vector<unsigned int>{};
}

// The CPUs of a list like "1-2,3"; false if it is not one.
bool ParseCpuList(absl::string_view text, std::vector<int>* cpus) {
  text = absl::StripAsciiWhitespace(text);
  if (text.empty()) return true;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    std::vector<absl::string_view> ends = absl::StrSplit(part, '-');
    int lo, hi;
    if (ends.size() > 2 || !absl::SimpleAtoi(ends[0], &lo) ||
        !absl::SimpleAtoi(ends.back(), &hi) || lo > hi) {
      return false;
    }
    for (int c = lo; c <= hi; ++c) cpus->push_back(c);
  }
  return true;
}

std::vector<int> EnclaveCpus(unsigned int id) {
  std::vector<int> cpus;
  absl::StatusOr<std::string> text =
      ReadGhostfsFile(EnclaveDir(id) + "/cpulist");
  if (text.ok()) ParseCpuList(*text, &cpus);
  return cpus;
}

// Whether thread `tid` of this process sleeps: workers are moved into
// enclaves only then (a running thread keeps its CPU, K2).
bool Asleep(pid_t tid) {
  absl::StatusOr<std::string> stat =
      ReadGhostfsFile(absl::StrCat("/proc/self/task/", tid, "/stat"));
  return stat.ok() && stat->find(") S ") != std::string::npos;
}

// Never lets a digit run mean CPU 0, nor "all" mean every CPU: whatever
// the kernel makes of a fuzzed list, CPU 0 stays out of every enclave.
std::string AvoidCpu0(std::string s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    if (!absl::ascii_isdigit(s[i])) {
      out += s[i++];
      continue;
    }
    size_t j = i;
    while (j < s.size() && absl::ascii_isdigit(s[j])) ++j;
    const std::string run = s.substr(i, j - i);
    out += run.find_first_not_of('0') == std::string::npos ? "1" : run;
    i = j;
  }
  for (size_t pos; (pos = absl::AsciiStrToLower(out).find("all")) !=
                   std::string::npos;) {
    out[pos] = 'x';
  }
  return out;
}

// A few random edits of `s`: flipped, inserted, deleted or doubled bytes.
std::string Mutate(FuzzRng& rng, std::string s) {
  const int edits = static_cast<int>(rng.Range(1, 3));
  for (int i = 0; i < edits; ++i) {
    const size_t at = s.empty() ? 0 : rng.Below(s.size() + 1);
    switch (rng.Below(5)) {
      case 0:
        if (!s.empty()) s[std::min(at, s.size() - 1)] = rng.Next();
        break;
      case 1:
        s.insert(at, 1, rng.Pick({' ', '\n', '\0', '-', '+', ',', '9', 'x'}));
        break;
      case 2:
        if (at < s.size()) s.erase(at, 1);
        break;
      case 3:
        s += s;
        break;
      default:
        s.insert(at, absl::StrCat(rng.Edgy32()));
        break;
    }
  }
  return s;
}

// A random non-empty subset of CPUs 1-3 as a list.
std::string RandomCpuSet(FuzzRng& rng) {
  std::vector<std::string> cpus;
  const uint64_t mask = rng.Range(1, 7);
  for (int c = 1; c <= kLastCpu; ++c) {
    if (mask & (1u << (c - 1))) cpus.push_back(absl::StrCat(c));
  }
  return absl::StrJoin(cpus, ",");
}

std::string CpuOnlinePath(int cpu) {
  return absl::StrCat("/sys/devices/system/cpu/cpu", cpu, "/online");
}

// --- the shared world ---------------------------------------------------

// A real thread that sleeps, yields and spins; the fuzzer moves it between
// enclaves (only while it sleeps) and the rogue agent schedules it.
struct Worker {
  std::atomic<pid_t> tid{0};
  std::atomic<uint64_t> gtid{0};
  std::atomic<uint64_t> rounds{0};
  std::atomic<bool> done{false};
  std::thread thread;
};

struct World {
  explicit World(const FuzzConfig& c) : config(c) {}

  const FuzzConfig config;
  FuzzLedger ledger;
  std::atomic<bool> stop{false};          // the fuzzing threads
  std::atomic<bool> stop_helpers{false};  // the pinger, after the agent
  std::atomic<bool> stop_workers{false};
  std::vector<std::unique_ptr<Worker>> workers;
  // Two rogue agents: they commit to each other's CPUs too.
  static constexpr int kAgents = 2;
  std::atomic<pid_t> agent_tid[kAgents] = {0, 0};
  std::atomic<int> agent_cpu[kAgents] = {-1, -1};
  std::atomic<bool> hotplug{false};  // a CPU is (being taken) offline
  std::vector<pid_t> kthreads;  // must never enter (EPERM)
  pid_t pid_max = 4194304;

  // Any thread, for the tasks files: a sleeping worker's tid, or 0.
  pid_t SleepingWorker(FuzzRng& rng) {
    const Worker& w = *workers[rng.Below(workers.size())];
    const pid_t tid = w.tid.load();
    return tid > 0 && !w.done.load() && Asleep(tid) ? tid : 0;
  }
  uint64_t WorkerGtid(FuzzRng& rng) {
    return workers[rng.Below(workers.size())]->gtid.load();
  }
};

// Writes `data` to `path` in one write(2), and records the outcome as
// `kind`. `enclave_file`: the file may vanish with its enclave.
void FuzzWrite(World& w, const std::string& kind, const std::string& path,
               absl::string_view data, const Allowed& allowed,
               bool enclave_file = true) {
  Trace(absl::StrCat("write ", path, " <- ", data.substr(0, 80)));
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    Allowed gone;
    if (enclave_file) gone.errnos = {ENOENT};
    w.ledger.Record(kind + ".open", false, err, gone, path);
    return;
  }
  const ssize_t n = write(fd, data.data(), data.size());
  const int err = errno;
  close(fd);
  const std::string input = absl::StrCat(path, " <- ", data);
  w.ledger.Record(kind, n >= 0, err, allowed, input);
  if (n >= 0 && static_cast<size_t>(n) < data.size()) {
    w.ledger.Note(kind + ": short write (kernfs takes one page)", input);
  }
  if (n >= 0 && data.find('\0') != absl::string_view::npos) {
    w.ledger.Note(kind + ": text after a NUL ignored, write accepted", input);
  }
  if (n < 0 && err == ENODEV && !absl::EndsWith(path, "/tasks")) {
    w.ledger.Note(kind + ": ENODEV while the enclave dies (abi.md lists it "
                         "for tasks and ghost_run only)",
                  input);
  }
}

// --- ghostfs inputs -----------------------------------------------------

struct Input {
  std::string text;
  bool must_fail;
};

unsigned int RandomId(FuzzRng& rng) {
  if (rng.OneIn(4)) {
    return rng.Pick<unsigned int>({0, 1, 4294967295u, 2147483648u, 99});
  }
  return kPoolBase + static_cast<unsigned int>(rng.Below(kPoolSize));
}

// Inputs docs/abi.md says each file must reject. The main thread tries
// every one once before fuzzing, so each run covers them whatever its seed;
// afterwards they are drawn at random.
std::vector<std::string> BadCtlInputs(const std::string& id) {
  return {"\n", "create", "destroy", "create ", "create x", "create -1",
          "destroy -0", absl::StrCat("create +", id),
          absl::StrCat("create ", id, " ", id), "create 0x10",
          "create 4294967296", "create 99999999999999999999", "frobnicate 1",
          "CREATE 1", "create 1.5", "create 1e3",
          absl::StrCat("destroy ", id, " now"),
          absl::StrCat("create ", id, " ephemeral x"),
          absl::StrCat("create ", id, " Ephemeral"),
          absl::StrCat("destroy ", id, " ephemeral")};
}

// Out of range (the VM has CPUs 0-3) or malformed. Commas and blanks only
// separate, so "1,,2" and "2 3" are fine; "1-3:0/1" is the empty set.
const std::vector<std::string> kBadCpulists = {
    "4",  "1-4", "15",   "16",   "4096", "99999999999", "1-3,7", "3,2147483647",
    "1-", "-1",  "a",    "3-1",  "1--2", "1:2",         "1-3:1/0", "1-3:2/1",
    "+"};

const std::vector<std::string> kBadTids = {
    "0",  "-1",  "-2147483648", "2147483647", "abc", "1 2",
    "0x10", "99999999999", "\n"};

const std::vector<std::string> kBadTicks = {"2",  "-1",  "01",   "\n", "yes",
                                            "1 1", "10", "true", "\x01"};

const std::vector<std::string> kBadTimeouts = {
    "3600001", "4294967295", "4294967296", "-1", "abc",
    "\n",      "1ms",        "1 2",        "0x10"};

const std::vector<std::string> kBadEnclaveCtl = {
    "destroy x", "destroyx", "create 1", "DESTROY", "destroy 1", "\n"};

Input TopCtlInput(FuzzRng& rng) {
  const std::string id = absl::StrCat(RandomId(rng));
  const char* verb = rng.OneIn(2) ? "create" : "destroy";
  switch (rng.Below(7)) {
    case 0:
    case 1:
      // An ephemeral enclave goes when this write's file is closed.
      return {absl::StrCat(verb, " ", id,
                           rng.OneIn(4) ? " ephemeral" : "",
                           rng.OneIn(2) ? "\n" : ""),
              false};
    case 2:
      return {rng.Pick(BadCtlInputs(id)), true};
    case 3:
      return {absl::StrCat(verb, " ", id, std::string(1, '\0'), "7"), false};
    case 4:
      // Longer than the page kernfs passes on: the tail is cut off.
      return {rng.OneIn(2) ? absl::StrCat(verb, " ", id, std::string(5000, ' '))
                           : absl::StrCat(verb, " ", std::string(5000, '7')),
              false};
    default:
      return {Mutate(rng, absl::StrCat(verb, " ", id)), false};
  }
}

Input CpulistInput(FuzzRng& rng) {
  switch (rng.Below(6)) {
    case 0:
    case 1:
      return {rng.OneIn(6) ? "" : RandomCpuSet(rng), false};
    case 2:
    case 3:
      return {rng.Pick(kBadCpulists), true};
    default:
      return {AvoidCpu0(Mutate(rng, RandomCpuSet(rng))), false};
  }
}

Input TasksInput(World& w, FuzzRng& rng) {
  switch (rng.Below(8)) {
    case 0:
    case 1: {
      const pid_t tid = w.SleepingWorker(rng);
      if (tid == 0) return {"-1", true};
      return {absl::StrCat(rng.OneIn(8) ? "+" : "", tid,
                           rng.OneIn(2) ? "\n" : ""),
              false};
    }
    case 2:  // kernel threads
      return {absl::StrCat(w.kthreads.empty() ? 2 : rng.Pick(w.kthreads)),
              true};
    case 3:  // no such thread
      return {absl::StrCat(w.pid_max + rng.Range(1, 1000)), true};
    case 4:
      return {rng.Pick(kBadTids), true};
    default: {
      const pid_t tid = w.SleepingWorker(rng);
      if (tid == 0) return {"x", true};
      // A mutated tid may name any thread; only workers' are safe to move.
      return {absl::StrCat(tid, std::string(1, rng.Pick({' ', '\n', 'x'}))),
              false};
    }
  }
}

Input TicksInput(FuzzRng& rng) {
  if (rng.OneIn(2)) {
    return {rng.Pick<std::string>({"0", "1", "0\n", "1\n", " 1 "}), false};
  }
  return {rng.Pick(kBadTicks), true};
}

Input TimeoutInput(FuzzRng& rng) {
  switch (rng.Below(3)) {
    case 0:
      return {absl::StrCat(rng.Pick<uint32_t>({0, 1, 5, 50, 200, 1000, 10000,
                                               3600000})),
              false};
    case 1:
      return {rng.Pick(kBadTimeouts), true};
    default:
      return {absl::StrCat(rng.Range(0, 3600000), rng.OneIn(2) ? "\n" : ""),
              false};
  }
}

// --- the rogue agent ----------------------------------------------------

// Attaches as the agent of an enclave CPU and commits random transactions.
// It sleeps after every burst of at most a few operations: an agent
// outranks everything on its CPU, so it must never spin (the pinger wakes
// it when it blocks in ghost_run()).
class RogueAgent {
 public:
  RogueAgent(World& w, int index)
      : w_(w), index_(index), rng_(w.config.seed, 100 + index) {}

  void Run() {
    tl_who = index_ == 0 ? "agent0" : "agent1";
    w_.agent_tid[index_].store(Gettid());
    while (!w_.stop.load()) {
      if (!Attach()) {
        absl::SleepFor(absl::Milliseconds(rng_.Range(2, 8)));
        continue;
      }
      while (!w_.stop.load() && StillAgent() && !rng_.OneIn(80)) {
        Burst();
        absl::SleepFor(absl::Microseconds(rng_.Range(300, 3000)));
      }
      Leave();
    }
  }

 private:
  static bool StillAgent() { return sched_getscheduler(0) == SCHED_GHOST; }

  bool Attach() {
    const std::vector<unsigned int> ids = LiveIds();
    if (ids.empty()) return false;
    const bool home = std::count(ids.begin(), ids.end(), kHomeId) > 0;
    id_ = home && !rng_.OneIn(3) ? kHomeId : rng_.Pick(ids);
    cpus_ = EnclaveCpus(id_);
    cpu_ = cpus_.empty() || rng_.OneIn(6) ? static_cast<int>(rng_.Range(1, 3))
                                          : rng_.Pick(cpus_);
    const std::string dir = EnclaveDir(id_);
    dir_fd_ = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd_ < 0) return false;
    MapRegions(dir);
    ghost_agent_attach_args args = {.enclave_fd = dir_fd_, .cpu = cpu_};
    Trace(absl::StrCat("attach enclave ", id_, " cpu ", cpu_));
    const Outcome o = RawRun(GHOST_OP_AGENT_ATTACH, &args, sizeof(args));
    w_.ledger.Record("agent.attach", o.ok, o.err,
                     {Plus(RunErrnos(GHOST_OP_AGENT_ATTACH), {EBUSY}), true},
                     absl::StrCat("enclave ", id_, " cpu ", cpu_));
    if (!o.ok) {
      Unmap();
      return false;
    }
    sw_index_ = args.sw_index;
    w_.agent_cpu[index_].store(cpu_);
    CheckPinned();
    if (rng_.OneIn(2)) CreateQueue(/*default_queue=*/true);
    return true;
  }

  void MapRegions(const std::string& dir) {
    txns_ = MapFile(dir + "/cpu_data", O_RDWR, kTxnBytes,
                    PROT_READ | PROT_WRITE);
    words_ = MapFile(dir + "/sw_regions/sw_0", O_RDONLY, kSwBytes, PROT_READ);
  }

  void* MapFile(const std::string& path, int mode, size_t len, int prot) {
    const int fd = open(path.c_str(), mode | O_CLOEXEC);
    if (fd < 0) return nullptr;
    void* p = mmap(nullptr, len, prot, MAP_SHARED, fd, 0);
    w_.ledger.Record("agent.mmap", p != MAP_FAILED, errno,
                     {{ENODEV}, true}, path);
    close(fd);
    return p == MAP_FAILED ? nullptr : p;
  }

  // After attaching, the agent runs on its CPU and cannot leave it (unless
  // the enclave went meanwhile, or its CPU is being taken offline).
  void CheckPinned() {
    if (sched_getcpu() != cpu_ && StillAgent() && !w_.hotplug.load()) {
      w_.ledger.Problem("agent.attach", "agent not on its CPU",
                        absl::StrCat("cpu ", cpu_, ", runs on ",
                                     sched_getcpu()));
    }
    cpu_set_t other;
    CPU_ZERO(&other);
    CPU_SET(cpu_ == 1 ? 2 : 1, &other);
    const Outcome o = Check(sched_setaffinity(0, sizeof(other), &other));
    w_.ledger.Record("agent.setaffinity", o.ok, o.err,
                     {{EINVAL}, /*success=*/!StillAgent()},
                     absl::StrCat("agent of cpu ", cpu_));
  }

  void Leave() {
    w_.agent_cpu[index_].store(-1);
    if (StillAgent()) testing::MoveToCfs(0);
    for (int fd : queues_) close(fd);
    queues_.clear();
    Unmap();
  }

  void Unmap() {
    if (txns_ != nullptr) munmap(txns_, kTxnBytes);
    if (words_ != nullptr) munmap(words_, kSwBytes);
    txns_ = nullptr;
    words_ = nullptr;
    if (dir_fd_ >= 0) close(dir_fd_);
    dir_fd_ = -1;
  }

  void Burst() {
    const int n = static_cast<int>(rng_.Range(1, 6));
    for (int i = 0; i < n && StillAgent(); ++i) {
      switch (rng_.Below(14)) {
        case 0:
        case 1:
        case 2:
        case 3:
        case 4:
          Commit();
          break;
        case 5:
        case 6:
          Block();
          break;
        case 7:
          Ping();
          break;
        case 8:
          QueueOp();
          break;
        case 9:
          SwFree();
          break;
        case 10:
          AttachAgain();
          break;
        case 11:
          MoveWorkerIn();
          break;
        case 12:
          sched_yield();
          w_.ledger.Count("agent.yield");
          break;
        default:
          CreateQueue(rng_.OneIn(2));
          break;
      }
    }
  }

  // docs/abi.md: mappings stay valid after their enclave is destroyed.
  void Faulted(const char* what) {
    w_.ledger.Problem("agent.mapping", "SIGBUS from a ghost mapping",
                      absl::StrCat(what, " of enclave ", id_));
  }

  // The agent barrier, from our status word.
  uint32_t AgentBarrier() {
    uint32_t b = 0;
    if (words_ == nullptr) return 0;
    const auto* words = static_cast<const ghost_status_word*>(words_);
    if (!GuardedAccess([&] {
          b = __atomic_load_n(&words[sw_index_].barrier, __ATOMIC_ACQUIRE);
        })) {
      Faulted("sw_0");
    }
    return b;
  }

  // The latest sequence number of `gtid`, if the kernel tells where its
  // word is.
  uint32_t TaskBarrier(uint64_t gtid) {
    ghost_sw_args args = {.enclave_fd = dir_fd_, .gtid = gtid};
    const Outcome o = RawRun(GHOST_OP_SW_INFO, &args, sizeof(args));
    w_.ledger.Record("agent.sw_info", o.ok, o.err,
                     {RunErrnos(GHOST_OP_SW_INFO), true},
                     absl::StrCat("gtid ", gtid));
    uint32_t b = static_cast<uint32_t>(rng_.Below(4));
    if (!o.ok || words_ == nullptr || args.index >= GHOST_SW_REGION_WORDS) {
      return b;
    }
    const auto* words = static_cast<const ghost_status_word*>(words_);
    if (!GuardedAccess([&] {
          b = __atomic_load_n(&words[args.index].barrier, __ATOMIC_ACQUIRE);
        })) {
      Faulted("sw_0");
    }
    return b;
  }

  uint64_t PickTarget() {
    switch (rng_.Below(8)) {
      case 0:
        return GHOST_GTID_NONE;
      case 1:
        return GetGtid().value_or(1);  // our own: an agent is no target
      case 2:
        return rng_.Edgy64();
      case 3:
        return w_.WorkerGtid(rng_) + 100000;  // nobody
      default:
        return w_.WorkerGtid(rng_);
    }
  }

  uint32_t PickRunFlags() {
    switch (rng_.Below(5)) {
      case 0:
        return 0;
      case 1:
        return GHOST_RUN_F_WAKE_ON_BLOCK | GHOST_RUN_F_WAKE_ON_YIELD |
               GHOST_RUN_F_WAKE_ON_PREEMPT;
      case 2:
        return static_cast<uint32_t>(rng_.Below(16));
      case 3:
        return GHOST_RUN_F_ELIDE_PREEMPT;
      default:
        return rng_.Edgy32();  // mostly INVALID
    }
  }

  // Fills the slot of `cpu` with a random decision. The state is READY,
  // or now and then a garbage value the kernel must leave alone (never
  // CLAIMED: after a commit, a CLAIMED slot means the kernel lost it).
  void FillSlot(int cpu) {
    if (txns_ == nullptr) return;
    const uint64_t gtid = PickTarget();
    const uint32_t seq = TaskBarrier(gtid);
    const uint32_t task_barrier =
        rng_.OneIn(3) ? seq - static_cast<uint32_t>(rng_.Range(-1, 1)) : seq;
    const uint32_t agent_barrier =
        rng_.OneIn(5) ? rng_.Edgy32() : AgentBarrier();
    const uint32_t flags = PickRunFlags();
    const int32_t state =
        rng_.OneIn(8) ? rng_.Pick<int32_t>({GHOST_TXN_IDLE, GHOST_TXN_COMPLETE,
                                            22, 99, -1, INT_MIN})
                      : GHOST_TXN_READY;
    ghost_txn* txn = static_cast<ghost_txn*>(txns_) + cpu;
    if (!GuardedAccess([&] {
          txn->gtid = gtid;
          txn->task_barrier = task_barrier;
          txn->agent_barrier = agent_barrier;
          txn->run_flags = flags;
          __atomic_store_n(&txn->state, state, __ATOMIC_RELEASE);
        })) {
      Faulted("cpu_data");
    }
  }

  int PickCommitCpu(const std::vector<int>& so_far) {
    switch (rng_.Below(5)) {
      case 0:
        return cpu_;
      case 1:
        return cpus_.empty() ? cpu_ : rng_.Pick(cpus_);
      case 2:
        return so_far.empty() ? cpu_ : rng_.Pick(so_far);  // a duplicate
      default:
        return static_cast<int>(rng_.Below(kNrCpus));  // CPU 0: not ours
    }
  }

  void Commit() {
    std::vector<int> cpus;
    const int n = static_cast<int>(rng_.Range(1, 4));
    for (int i = 0; i < n; ++i) cpus.push_back(PickCommitCpu(cpus));
    for (int cpu : cpus) FillSlot(cpu);
    ghost_commit_args args = {
        .cpus = reinterpret_cast<uint64_t>(cpus.data()),
        .nr_cpus = static_cast<uint32_t>(cpus.size()),
        .flags = rng_.Pick<uint32_t>({0, 0, GHOST_COMMIT_F_SYNC_GROUP,
                                      GHOST_COMMIT_F_BLOCK,
                                      GHOST_COMMIT_F_SYNC_GROUP |
                                          GHOST_COMMIT_F_BLOCK}),
        .agent_barrier = rng_.OneIn(3) ? rng_.Edgy32() : AgentBarrier(),
    };
    const bool bad = CommitDefect(&args, &cpus);
    Trace(absl::StrCat("commit cpus ", absl::StrJoin(cpus, ","), " nr ",
                       args.nr_cpus, " flags ", args.flags, bad ? " (bad)" : ""));
    const Outcome o = RawRun(GHOST_OP_COMMIT, &args, sizeof(args));
    const std::string input =
        absl::StrCat("cpus ", absl::StrJoin(cpus, ","), " nr ", args.nr_cpus,
                     " flags ", args.flags, " reserved ", args.reserved);
    w_.ledger.Record("agent.commit", o.ok, o.err,
                     {RunErrnos(GHOST_OP_COMMIT, args.flags), !bad}, input);
    if (o.ok && o.ret > static_cast<long>(args.nr_cpus)) {
      w_.ledger.Problem("agent.commit", "more completions than CPUs", input);
    }
    if (!bad) CheckSlots(cpus, input);
  }

  // Maybe makes the commit one the ABI must refuse; returns whether.
  bool CommitDefect(ghost_commit_args* args, std::vector<int>* cpus) {
    switch (rng_.Below(12)) {
      case 0:
        cpus->push_back(rng_.Pick<int>({kNrCpus, -1, 1000, INT_MIN}));
        args->cpus = reinterpret_cast<uint64_t>(cpus->data());
        args->nr_cpus = static_cast<uint32_t>(cpus->size());
        return true;
      case 1:
        args->nr_cpus = rng_.Pick<uint32_t>({4097, 0xffffffffu});
        return true;
      case 2:
        args->cpus = rng_.Pick<uint64_t>({0, 1, 0xffff800000000000ULL});
        return true;
      case 3:
        args->flags |= rng_.Pick<uint32_t>({4, 0x80000000u});
        return true;
      case 4:
        args->reserved = 1 + static_cast<uint32_t>(rng_.Below(100));
        return true;
      case 5:
        args->nr_cpus = 0;
        return false;
      default:
        return false;
    }
  }

  // Every slot the commit claimed got a result: none is left CLAIMED.
  void CheckSlots(const std::vector<int>& cpus, const std::string& input) {
    if (txns_ == nullptr) return;
    for (int cpu : cpus) {
      if (cpu < 0 || cpu >= kNrCpus) continue;
      int32_t state = 0;
      const auto* txn = static_cast<const ghost_txn*>(txns_) + cpu;
      if (!GuardedAccess([&] {
            state = __atomic_load_n(&txn->state, __ATOMIC_ACQUIRE);
          })) {
        Faulted("cpu_data");
        return;
      }
      if (state == GHOST_TXN_CLAIMED && StillClaimed(txn)) {
        w_.ledger.Problem("agent.commit", "slot left CLAIMED", input);
      } else if (state >= GHOST_TXN_COMPLETE && state <= GHOST_TXN_NO_AGENT) {
        w_.ledger.Count(absl::StrCat("txn.", TxnResultName(state)));
      }
    }
  }

  // The enclave's destroyer fails a READY slot of a detached agent (claim,
  // then result): CLAIMED may be seen for an instant, not for long.
  bool StillClaimed(const ghost_txn* txn) {
    absl::SleepFor(absl::Milliseconds(20));
    int32_t state = 0;
    return GuardedAccess([&] {
             state = __atomic_load_n(&txn->state, __ATOMIC_ACQUIRE);
           }) &&
           state == GHOST_TXN_CLAIMED;
  }

  void Block() {
    ghost_agent_block_args args = {.agent_barrier = AgentBarrier()};
    bool bad = false;
    if (rng_.OneIn(3)) args.agent_barrier += rng_.Range(-1, 1);
    if (rng_.OneIn(10)) {
      args.reserved = 7;
      bad = true;
    }
    Trace(absl::StrCat("block barrier ", args.agent_barrier));
    const Outcome o = RawRun(GHOST_OP_AGENT_BLOCK, &args, sizeof(args));
    w_.ledger.Record("agent.block", o.ok, o.err,
                     {RunErrnos(GHOST_OP_AGENT_BLOCK), !bad},
                     absl::StrCat("barrier ", args.agent_barrier, " reserved ",
                                  args.reserved));
  }

  void Ping() {
    ghost_agent_ping_args args = {
        .cpu = rng_.OneIn(4) ? cpu_ : static_cast<int>(rng_.Range(-1, 4))};
    Trace(absl::StrCat("ping ", args.cpu));
    const Outcome o = RawRun(GHOST_OP_AGENT_PING, &args, sizeof(args));
    w_.ledger.Record("agent.ping", o.ok, o.err,
                     {RunErrnos(GHOST_OP_AGENT_PING), args.cpu >= 1 &&
                                                          args.cpu <= kLastCpu},
                     absl::StrCat("cpu ", args.cpu));
  }

  void CreateQueue(bool default_queue) {
    ghost_create_queue_args args = {
        .enclave_fd = dir_fd_,
        .nelems = rng_.Pick<uint32_t>({16, 64, 1024, 65536}),
        .flags = default_queue ? GHOST_QUEUE_F_DEFAULT : 0u};
    Trace("create queue");
    const Outcome o = RawRun(GHOST_OP_CREATE_QUEUE, &args, sizeof(args));
    w_.ledger.Record("agent.create_queue", o.ok, o.err,
                     {RunErrnos(GHOST_OP_CREATE_QUEUE), true},
                     absl::StrCat("nelems ", args.nelems));
    if (!o.ok) return;
    queues_.push_back(static_cast<int>(o.ret));
    ghost_queue_wakeup_args wake = {.queue_fd = static_cast<int>(o.ret),
                                    .nr_cpus = 1,
                                    .cpus = {cpu_}};
    const Outcome ow = RawRun(GHOST_OP_CONFIG_QUEUE_WAKEUP, &wake, sizeof(wake));
    w_.ledger.Record("agent.queue_wakeup", ow.ok, ow.err,
                     {RunErrnos(GHOST_OP_CONFIG_QUEUE_WAKEUP), true},
                     absl::StrCat("cpu ", cpu_));
    if (queues_.size() > 4) {
      close(queues_.front());
      queues_.erase(queues_.begin());
    }
  }

  // Re-associates a worker or a CPU with one of our queues.
  void QueueOp() {
    if (queues_.empty()) return;
    const int q = rng_.Pick(queues_);
    if (rng_.OneIn(2)) {
      const uint64_t gtid = w_.WorkerGtid(rng_);
      ghost_assoc_queue_args args = {
          .queue_fd = q, .barrier = TaskBarrier(gtid), .gtid = gtid};
      if (rng_.OneIn(3)) args.barrier += 1;
      Trace(absl::StrCat("assoc queue gtid ", gtid));
      const Outcome o = RawRun(GHOST_OP_ASSOC_QUEUE, &args, sizeof(args));
      w_.ledger.Record("agent.assoc_queue", o.ok, o.err,
                       {RunErrnos(GHOST_OP_ASSOC_QUEUE), true},
                       absl::StrCat("gtid ", gtid, " barrier ", args.barrier));
      return;
    }
    ghost_assoc_cpu_queue_args args = {
        .queue_fd = q, .cpu = static_cast<int>(rng_.Range(1, 3))};
    Trace(absl::StrCat("assoc cpu queue ", args.cpu));
    const Outcome o = RawRun(GHOST_OP_ASSOC_CPU_QUEUE, &args, sizeof(args));
    w_.ledger.Record("agent.assoc_cpu_queue", o.ok, o.err,
                     {RunErrnos(GHOST_OP_ASSOC_CPU_QUEUE), true},
                     absl::StrCat("cpu ", args.cpu));
  }

  void SwFree() {
    ghost_sw_args args = {.enclave_fd = dir_fd_};
    bool bad = false;
    switch (rng_.Below(3)) {
      case 0:
        args.index = sw_index_;  // our own word: its thread is a member
        bad = true;
        break;
      case 1:
        args.index = static_cast<uint32_t>(rng_.Below(64));
        break;
      default:
        args.index = rng_.Edgy32();
        bad = args.index >= GHOST_SW_REGION_WORDS;
        break;
    }
    if (rng_.OneIn(8)) {
      args.region = rng_.Edgy32() | 1;
      bad = true;
    }
    Trace(absl::StrCat("sw_free ", args.region, "/", args.index));
    const Outcome o = RawRun(GHOST_OP_SW_FREE, &args, sizeof(args));
    w_.ledger.Record("agent.sw_free", o.ok, o.err,
                     {RunErrnos(GHOST_OP_SW_FREE), !bad},
                     absl::StrCat(args.region, "/", args.index));
  }

  // An agent is a ghost thread: attaching again must fail (EBUSY).
  void AttachAgain() {
    ghost_agent_attach_args args = {
        .enclave_fd = dir_fd_, .cpu = static_cast<int>(rng_.Range(1, 3))};
    Trace(absl::StrCat("attach again cpu ", args.cpu));
    const Outcome o = RawRun(GHOST_OP_AGENT_ATTACH, &args, sizeof(args));
    w_.ledger.Record("agent.attach_again", o.ok, o.err,
                     {RunErrnos(GHOST_OP_AGENT_ATTACH), false},
                     absl::StrCat("cpu ", args.cpu));
  }

  void MoveWorkerIn() {
    const pid_t tid = w_.SleepingWorker(rng_);
    if (tid == 0) return;
    FuzzWrite(w_, "agent.tasks", EnclaveDir(id_) + "/tasks",
              absl::StrCat(tid), {kTasksErrnos, true});
  }

  World& w_;
  const int index_;
  FuzzRng rng_;
  unsigned int id_ = 0;
  int cpu_ = -1;
  std::vector<int> cpus_;
  int dir_fd_ = -1;
  void* txns_ = nullptr;
  void* words_ = nullptr;
  uint32_t sw_index_ = 0;
  std::vector<int> queues_;
};

// --- the pinger ---------------------------------------------------------

// Wakes the rogue agent when it blocks (a thread of the agent's process may
// ping it), pings CPUs at random, and now and then signals the agent so
// that blocking returns EINTR.
void PingerBody(World& w) {
  tl_who = "pinger";
  FuzzRng rng(w.config.seed, 200);
  while (!w.stop_helpers.load()) {
    absl::SleepFor(absl::Milliseconds(rng.Range(1, 6)));
    const int which = static_cast<int>(rng.Below(World::kAgents));
    const int agent_cpu = w.agent_cpu[which].load();
    int cpu = agent_cpu >= 0 && !rng.OneIn(4)
                  ? agent_cpu
                  : static_cast<int>(rng.Range(1, kLastCpu));
    // No agent can be on CPU 0, and the others do not exist.
    const bool bad = rng.OneIn(8);
    if (bad) cpu = rng.Pick<int>({-1, 0, kNrCpus, 1 << 30, INT_MIN});
    ghost_agent_ping_args args = {.cpu = cpu};
    Trace(absl::StrCat("ping ", cpu));
    const Outcome o = RawRun(GHOST_OP_AGENT_PING, &args, sizeof(args));
    w.ledger.Record("ping", o.ok, o.err,
                    {RunErrnos(GHOST_OP_AGENT_PING), !bad},
                    absl::StrCat("cpu ", cpu));
    const pid_t agent = w.agent_tid[which].load();
    if (agent > 0 && rng.OneIn(30)) {
      syscall(SYS_tgkill, getpid(), agent, SIGUSR1);
      w.ledger.Count("signal.agent");
    }
  }
}

// --- the churn thread ---------------------------------------------------

// Creates and destroys enclaves, gives them CPUs, moves workers between
// them, destroys the rogue agent's enclave under it and takes an agent's
// CPU offline for a moment.
class Churn {
 public:
  explicit Churn(World& w) : w_(w), rng_(w.config.seed, 300) {}

  void Run() {
    tl_who = "churn";
    while (!w_.stop.load()) {
      absl::SleepFor(absl::Milliseconds(rng_.Range(5, 40)));
      Step();
    }
    if (ephemeral_fd_ >= 0) close(ephemeral_fd_);
  }

  // The rogue agent's usual enclave, with CPUs and the workers.
  void MakeHome() {
    Create(kHomeId);
    for (const std::string& cpus : {RandomCpuSet(rng_), std::string("1-3"),
                                    std::string("1"), std::string("2"),
                                    std::string("3")}) {
      if (WriteGhostfsFile(EnclaveDir(kHomeId) + "/cpulist", cpus).ok()) {
        break;
      }
    }
    for (int i = 0; i < kWorkers; ++i) MoveWorker(kHomeId);
  }

 private:
  void Step() {
    // The home enclave goes only on purpose (cases 7-8), now and then.
    const unsigned int id =
        kPoolBase + 1 + static_cast<unsigned int>(rng_.Below(kPoolSize - 1));
    switch (rng_.Below(20)) {
      case 0:
      case 1:
      case 2:
      case 3:
        Create(id);
        SetCpus(id, RandomCpuSet(rng_));
        if (rng_.OneIn(3)) SetTimeout(id);
        break;
      case 4:
      case 5:
      case 6:
        Destroy(id, rng_.OneIn(2));
        break;
      case 7:
      case 8:
        // The agent and the workers are in there.
        if (rng_.OneIn(3)) {
          Destroy(kHomeId, rng_.OneIn(2));
          MakeHome();
        }
        break;
      case 9:
      case 10:
      case 11:
      case 12:
        MoveWorker(rng_.OneIn(2) ? kHomeId : id);
        break;
      case 13:
      case 14:
        SetCpus(id, RandomCpuSet(rng_));
        break;
      case 15:
        Hotplug();
        break;
      case 16:
        Ephemeral();
        break;
      default: {
        const std::vector<unsigned int> ids = LiveIds();
        if (!std::count(ids.begin(), ids.end(), kHomeId)) MakeHome();
        break;
      }
    }
  }

  // An ephemeral enclave lives while the ctl file it was created through
  // is open: kept open for a few steps (workers may move in), then closed.
  void Ephemeral() {
    const unsigned int id = kPoolBase + 40;  // nobody else uses it
    if (ephemeral_fd_ < 0) {
      ephemeral_fd_ = open((kMount + "/ctl").c_str(), O_WRONLY | O_CLOEXEC);
      const std::string cmd = absl::StrCat("create ", id, " ephemeral");
      Trace(cmd);
      const Outcome o = Check(write(ephemeral_fd_, cmd.data(), cmd.size()));
      w_.ledger.Record("churn.ephemeral", o.ok, o.err, {{EEXIST}, true}, cmd);
      if (o.ok) SetCpus(id, RandomCpuSet(rng_));
      return;
    }
    Trace("close the ephemeral enclave's ctl");
    close(ephemeral_fd_);
    ephemeral_fd_ = -1;
    // The release destroys it from a work item: soon, not at once.
    const absl::Time end = absl::Now() + absl::Seconds(5);
    while (access(EnclaveDir(id).c_str(), F_OK) == 0 && absl::Now() < end) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    if (access(EnclaveDir(id).c_str(), F_OK) == 0) {
      w_.ledger.Problem("churn.ephemeral", "outlived its ctl file",
                        EnclaveDir(id));
    }
  }

  void Create(unsigned int id) {
    FuzzWrite(w_, "churn.create", kMount + "/ctl", absl::StrCat("create ", id),
              {{EEXIST}, true}, /*enclave_file=*/false);
  }

  void Destroy(unsigned int id, bool own_ctl) {
    if (own_ctl) {
      FuzzWrite(w_, "churn.destroy", EnclaveDir(id) + "/ctl", "destroy",
                {{ENODEV}, true});
    } else {
      FuzzWrite(w_, "churn.destroy", kMount + "/ctl",
                absl::StrCat("destroy ", id), {{ENOENT, ENODEV}, true},
                /*enclave_file=*/false);
    }
  }

  void SetCpus(unsigned int id, const std::string& cpus) {
    FuzzWrite(w_, "churn.cpulist", EnclaveDir(id) + "/cpulist", cpus,
              {kCpulistErrnos, true});
  }

  void SetTimeout(unsigned int id) {
    const std::string path = EnclaveDir(id) + "/runnable_timeout";
    if (access(path.c_str(), F_OK) != 0) return;
    FuzzWrite(w_, "churn.runnable_timeout", path,
              absl::StrCat(rng_.Pick<int>({0, 1, 20, 300, 10000})),
              {kTimeoutErrnos, true});
  }

  void MoveWorker(unsigned int id) {
    const pid_t tid = w_.SleepingWorker(rng_);
    if (tid == 0) return;
    FuzzWrite(w_, "churn.tasks", EnclaveDir(id) + "/tasks", absl::StrCat(tid),
              {kTasksErrnos, true});
  }

  // A CPU goes offline, the one a rogue agent is on if any (never CPU 0),
  // else CPU 3: it leaves its enclave, and no enclave can take it (EINVAL)
  // until it is back.
  void Hotplug() {
    int cpu = w_.agent_cpu[rng_.Below(World::kAgents)].load();
    if (cpu < 1 || cpu > kLastCpu) cpu = kLastCpu;
    const std::string online = CpuOnlinePath(cpu);
    if (!w_.config.hotplug || access(online.c_str(), W_OK) != 0 ||
        absl::Now() - last_hotplug_ < absl::Seconds(4)) {
      return;
    }
    last_hotplug_ = absl::Now();
    const std::set<int> hotplug_errnos = {EBUSY, EINVAL, EAGAIN, EIO, EPERM};
    w_.hotplug.store(true);
    FuzzWrite(w_, "hotplug.offline", online, "0", {hotplug_errnos, true},
              /*enclave_file=*/false);
    absl::StatusOr<std::string> state = ReadGhostfsFile(online);
    if (state.ok() && *state == "0\n") CheckOffline(cpu);
    FuzzWrite(w_, "hotplug.online", online, "1", {hotplug_errnos, true},
              /*enclave_file=*/false);
    w_.hotplug.store(false);
  }

  void CheckOffline(int cpu) {
    for (unsigned int id : LiveIds()) {
      const std::vector<int> cpus = EnclaveCpus(id);
      if (std::count(cpus.begin(), cpus.end(), cpu)) {
        w_.ledger.Problem("hotplug", "an offline CPU is still in an enclave",
                          absl::StrCat("enclave ", id));
      }
    }
    const unsigned int id =
        kPoolBase + static_cast<unsigned int>(rng_.Below(kPoolSize));
    FuzzWrite(w_, "cpulist.offline_cpu", EnclaveDir(id) + "/cpulist",
              absl::StrCat(cpu), {kCpulistErrnos, false});
    absl::SleepFor(absl::Milliseconds(rng_.Range(20, 300)));
  }

  World& w_;
  FuzzRng rng_;
  // The first hotplug comes after ~10 s: everything else gets its turn
  // first, should taking a CPU away break the kernel.
  absl::Time last_hotplug_ = absl::Now() + absl::Seconds(6);
  int ephemeral_fd_ = -1;
};

// --- the main thread's surface fuzzer -------------------------------------

// Three pages: two for arguments, then one that faults, so that a size
// larger than the structure makes the kernel read into a hole (EFAULT)
// instead of scanning memory for zeros.
class ArgArena {
 public:
  ArgArena() {
    base_ = static_cast<char*>(mmap(nullptr, 3 * kPage, PROT_READ | PROT_WRITE,
                                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    mprotect(base_ + 2 * kPage, kPage, PROT_NONE);
  }
  ~ArgArena() { munmap(base_, 3 * kPage); }

  // Room for `bytes` that ends where the hole starts.
  char* EndingAtHole(size_t bytes) { return base_ + 2 * kPage - bytes; }
  char* hole() { return base_ + 2 * kPage; }

 private:
  char* base_;
};

class SurfaceFuzzer {
 public:
  explicit SurfaceFuzzer(World& w) : w_(w), rng_(w.config.seed, 0) {
    others_.push_back(open("/dev/null", O_RDONLY | O_CLOEXEC));
    others_.push_back(open("/proc/self/stat", O_RDONLY | O_CLOEXEC));
    others_.push_back(open(kMount.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    others_.push_back(open((kMount + "/version").c_str(), O_RDONLY | O_CLOEXEC));
    const std::string home = EnclaveDir(kHomeId);
    others_.push_back(
        open((home + "/sw_regions").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    others_.push_back(open((home + "/cpulist").c_str(), O_RDONLY | O_CLOEXEC));
    std::erase(others_, -1);
  }
  ~SurfaceFuzzer() {
    for (int fd : others_) close(fd);
    for (int fd : dirs_) close(fd);
    for (int fd : queues_) close(fd);
  }

  // Every input of the lists above once, on the top ctl and on the home
  // enclave's files.
  void RunCorpus() {
    const std::string home = EnclaveDir(kHomeId);
    const std::string id = absl::StrCat(kPoolBase + 1);
    for (const std::string& in : BadCtlInputs(id)) {
      FuzzWrite(w_, "ctl", kMount + "/ctl", in, {kTopCtlErrnos, false},
                /*enclave_file=*/false);
    }
    const struct {
      const char* file;
      const std::vector<std::string>* inputs;
      const std::set<int>* errnos;
    } files[] = {{"cpulist", &kBadCpulists, &kCpulistErrnos},
                 {"tasks", &kBadTids, &kTasksErrnos},
                 {"deliver_ticks", &kBadTicks, &kTicksErrnos},
                 {"runnable_timeout", &kBadTimeouts, &kTimeoutErrnos},
                 {"ctl", &kBadEnclaveCtl, &kEnclaveCtlErrnos}};
    for (const auto& f : files) {
      const std::string kind =
          std::string(f.file) == "ctl" ? "enclave_ctl" : f.file;
      for (const std::string& in : *f.inputs) {
        FuzzWrite(w_, kind, home + "/" + f.file, in, {*f.errnos, false});
      }
    }
    for (pid_t tid : w_.kthreads) {
      FuzzWrite(w_, "tasks", home + "/tasks", absl::StrCat(tid),
                {kTasksErrnos, false});
    }
  }

  void Step() {
    if (rng_.OneIn(100)) RefreshDirs();
    if (rng_.OneIn(8)) ids_ = LiveIds();
    switch (rng_.Below(20)) {
      case 0:
      case 1:
        TopCtl();
        break;
      case 2:
      case 3:
      case 4:
      case 5:
      case 6:
        EnclaveWrite();
        break;
      case 7:
      case 8:
      case 9:
        Read();
        break;
      case 10:
      case 11:
      case 12:
      case 13:
      case 14:
        GhostRun();
        break;
      case 15:
      case 16:
        Mmap();
        break;
      case 17:
        Scribble();
        break;
      case 18:
        ReadOnlyWrite();
        break;
      default:
        PollAgentOnline();
        break;
    }
  }

 private:
  // --- ghostfs writes ---

  void TopCtl() {
    const Input in = TopCtlInput(rng_);
    FuzzWrite(w_, "ctl", kMount + "/ctl", in.text,
              {kTopCtlErrnos, !in.must_fail}, /*enclave_file=*/false);
    if (rng_.OneIn(20)) {
      // A buffer the kernel cannot read.
      const int fd = open((kMount + "/ctl").c_str(), O_WRONLY | O_CLOEXEC);
      Trace("write ctl from a NULL buffer");
      const char* volatile unreadable = nullptr;
      const Outcome o = Check(write(fd, unreadable, 10));
      close(fd);
      w_.ledger.Record("ctl.bad_buffer", o.ok, o.err, {{EFAULT}, false},
                       "write(ctl, NULL, 10)");
    }
  }

  void EnclaveWrite() {
    const std::vector<unsigned int>& ids = ids_;
    if (ids.empty()) return;
    const unsigned int id = rng_.Pick(ids);
    const std::string dir = EnclaveDir(id);
    switch (rng_.Below(9)) {
      case 0:
        EnclaveCtl(dir);
        break;
      case 1:
      case 2:
      case 3: {
        const Input in = CpulistInput(rng_);
        FuzzWrite(w_, "cpulist", dir + "/cpulist", in.text,
                  {kCpulistErrnos, !in.must_fail});
        break;
      }
      case 4:
      case 5: {
        const Input in = TasksInput(w_, rng_);
        FuzzWrite(w_, "tasks", dir + "/tasks", in.text,
                  {kTasksErrnos, !in.must_fail});
        break;
      }
      case 6:
        OptionalWrite("deliver_ticks", dir, TicksInput(rng_), kTicksErrnos);
        break;
      default:
        OptionalWrite("runnable_timeout", dir, TimeoutInput(rng_),
                      kTimeoutErrnos);
        break;
    }
  }

  // Files the kernel patches being merged add: skipped where absent.
  void OptionalWrite(const std::string& name, const std::string& dir,
                     const Input& in, const std::set<int>& errnos) {
    const std::string path = dir + "/" + name;
    if (access(path.c_str(), F_OK) != 0) return;
    FuzzWrite(w_, name, path, in.text, {errnos, !in.must_fail});
  }

  void EnclaveCtl(const std::string& dir) {
    // "destroy" kills the enclave: rarely, the churn thread does it too.
    if (rng_.OneIn(15)) {
      FuzzWrite(w_, "enclave_ctl", dir + "/ctl",
                rng_.OneIn(2) ? "destroy" : "destroy\n",
                {kEnclaveCtlErrnos, true});
      return;
    }
    const std::string bad = rng_.Pick(kBadEnclaveCtl);
    FuzzWrite(w_, "enclave_ctl", dir + "/ctl", bad, {kEnclaveCtlErrnos, false});
  }

  // Files no one may write, root included: opening fails with EACCES.
  void ReadOnlyWrite() {
    const std::vector<unsigned int>& ids = ids_;
    std::string path = kMount + "/version";
    if (!ids.empty() && rng_.OneIn(2)) {
      path = EnclaveDir(rng_.Pick(ids)) + "/" +
             rng_.Pick<std::string>({"status", "stats", "agent_online"});
    } else if (rng_.OneIn(2)) {
      path = kMount + "/destroyed";
    }
    if (access(path.c_str(), F_OK) != 0) return;
    Trace(absl::StrCat("open for write ", path));
    const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
    const Outcome o = Check(fd);
    if (fd >= 0) close(fd);
    w_.ledger.Record("readonly_open", o.ok, o.err, {{EACCES, ENOENT}, false},
                     path);
  }

  // --- reads ---

  std::string RandomPath() {
    const std::vector<unsigned int>& ids = ids_;
    if (ids.empty() || rng_.OneIn(4)) {
      return kMount + "/" +
             rng_.Pick<std::string>(
                 {"version", "destroyed", "objects", "ctl", "nope"});
    }
    return EnclaveDir(rng_.Pick(ids)) + "/" +
           rng_.Pick<std::string>(
               {"ctl", "cpulist", "tasks", "status", "stats", "agent_online",
                "deliver_ticks", "runnable_timeout", "cpu_data", "sw_regions",
                "sw_regions/sw_0", "nope"});
  }

  void Read() {
    const std::string path = RandomPath();
    Trace(absl::StrCat("read ", path));
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      const bool absent = absl::EndsWith(path, "/nope");
      w_.ledger.Record("read.open", false, err, {{ENOENT, EACCES}, true}, path);
      if (absent && err != ENOENT) {
        w_.ledger.Problem("read.open", "a file that does not exist", path);
      }
      return;
    }
    const size_t chunk = rng_.Pick<size_t>({1, 7, 64, 4096, 65536});
    const off_t offset = rng_.OneIn(4) ? static_cast<off_t>(rng_.Below(64)) : 0;
    std::string text, buf(chunk, '\0');
    ssize_t n;
    off_t at = offset;
    while ((n = pread(fd, buf.data(), chunk, at)) > 0 && text.size() < 1 << 20) {
      text.append(buf.data(), n);
      at += n;
    }
    const int err = errno;
    close(fd);
    w_.ledger.Record("read", n >= 0, err, {{EINVAL, ENODEV, EISDIR}, true},
                     path);
    if (n == 0 && offset == 0) CheckContents(path, text);
  }

  // What a file shows must make sense whatever was written before.
  void CheckContents(const std::string& path, const std::string& text) {
    std::vector<int> cpus;
    if (absl::EndsWith(path, "/version") && text != "2\n") {
      w_.ledger.Problem("read", "version is not \"2\\n\"", text);
    } else if (absl::EndsWith(path, "/cpulist")) {
      const bool ok = ParseCpuList(text, &cpus);
      for (int cpu : cpus) {
        if (cpu < 1 || cpu > kLastCpu) {
          w_.ledger.Problem("read", "an enclave owns a CPU it must not",
                            absl::StrCat(path, ": ", text));
        }
      }
      if (!ok) w_.ledger.Problem("read", "cpulist unparsable", text);
    } else if (absl::EndsWith(path, "/status") &&
               text.find("state live\n") == std::string::npos &&
               text.find("state dying\n") == std::string::npos) {
      w_.ledger.Problem("read", "status has no state line", text);
    } else if (absl::EndsWith(path, "/deliver_ticks") && text != "0\n" &&
               text != "1\n") {
      w_.ledger.Problem("read", "deliver_ticks is not 0 or 1", text);
    }
  }

  void PollAgentOnline() {
    const std::vector<unsigned int>& ids = ids_;
    if (ids.empty()) return;
    const std::string path = EnclaveDir(rng_.Pick(ids)) + "/agent_online";
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    char buf[16];
    (void)read(fd, buf, sizeof(buf));
    struct pollfd p = {.fd = fd, .events = POLLPRI};
    Trace(absl::StrCat("poll ", path));
    const Outcome o = Check(poll(&p, 1, static_cast<int>(rng_.Below(3))));
    close(fd);
    w_.ledger.Record("poll.agent_online", o.ok, o.err, {{}, true}, path);
  }

  // --- ghost_run() ---

  void RefreshDirs() {
    const std::vector<unsigned int>& ids = ids_;
    if (ids.empty()) return;
    const int fd = open(EnclaveDir(rng_.Pick(ids)).c_str(),
                        O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    // Old ones stay a while: an fd of a destroyed enclave is a case too.
    dirs_.push_back(fd);
    if (dirs_.size() > 6) {
      close(dirs_.front());
      dirs_.erase(dirs_.begin());
    }
  }

  // An fd for an operation that wants an enclave directory (or a queue):
  // sets *bad when it is certainly not one.
  int PickFd(bool want_queue, bool* bad) {
    const std::vector<int>& right = want_queue ? queues_ : dirs_;
    const std::vector<int>& wrong = want_queue ? dirs_ : queues_;
    switch (rng_.Below(8)) {
      case 0:
        *bad = true;
        return rng_.Pick<int>({-1, kClosedFd, INT_MAX, 1 << 20});
      case 1:
      case 2:
        if (others_.empty()) break;
        *bad = true;
        return rng_.Pick(others_);
      case 3:
        if (wrong.empty()) break;
        *bad = true;
        return rng_.Pick(wrong);
      default:
        break;
    }
    if (right.empty()) {
      *bad = true;
      return kClosedFd;
    }
    return rng_.Pick(right);
  }

  struct Call {
    unsigned int op;
    std::vector<char> arg;  // the structure as we mean it
    bool bad = false;       // the ABI must refuse it
    std::string what;
  };

  Call PlausibleCall(unsigned int op) {
    Call c{.op = op};
    switch (op) {
      case GHOST_OP_GET_GTID:
        return GtidCall(c);
      case GHOST_OP_SW_INFO:
      case GHOST_OP_SW_FREE:
        return SwCall(c);
      case GHOST_OP_CREATE_QUEUE:
        return CreateQueueCall(c);
      case GHOST_OP_ASSOC_QUEUE:
        return AssocQueueCall(c);
      case GHOST_OP_CONFIG_QUEUE_WAKEUP:
        return WakeupCall(c);
      case GHOST_OP_AGENT_ATTACH:
        return AttachCall(c);
      case GHOST_OP_COMMIT:
        return CommitCall(c);
      case GHOST_OP_AGENT_BLOCK:
        return Fill(c, ghost_agent_block_args{.agent_barrier = rng_.Edgy32()},
                    true, "block (not an agent)");
      case GHOST_OP_AGENT_PING:
        return PingCall(c);
      case GHOST_OP_ASSOC_CPU_QUEUE:
        return CpuQueueCall(c);
      default:
        c.arg.assign(rng_.Below(64), static_cast<char>(rng_.Next()));
        c.bad = true;
        c.what = absl::StrCat("op ", op);
        return c;
    }
  }

  template <typename T>
  static Call Fill(Call c, const T& args, bool bad, std::string what) {
    c.arg.assign(reinterpret_cast<const char*>(&args),
                 reinterpret_cast<const char*>(&args) + sizeof(args));
    c.bad = c.bad || bad;
    c.what = std::move(what);
    return c;
  }

  Call GtidCall(Call c) {
    ghost_gtid_args a = {};
    bool bad = false;
    switch (rng_.Below(5)) {
      case 0:
        a.tid = 0;
        break;
      case 1:
        a.tid = w_.workers[rng_.Below(kWorkers)]->tid.load();
        break;
      case 2:
        a.tid = 2;
        break;
      case 3:
        a.tid = w_.pid_max + static_cast<int>(rng_.Range(1, 100));
        bad = true;
        break;
      default:
        a.tid = -static_cast<int>(rng_.Range(1, INT_MAX));
        bad = true;
        break;
    }
    return Fill(c, a, bad, absl::StrCat("tid ", a.tid));
  }

  Call SwCall(Call c) {
    bool bad = false;
    ghost_sw_args a = {.enclave_fd = PickFd(false, &bad)};
    a.gtid = rng_.OneIn(2) ? w_.WorkerGtid(rng_) : rng_.Edgy64();
    a.index = rng_.OneIn(2) ? static_cast<uint32_t>(rng_.Below(64))
                            : rng_.Edgy32();
    a.region = rng_.OneIn(6) ? rng_.Edgy32() : 0;
    if (c.op == GHOST_OP_SW_FREE &&
        (a.region != 0 || a.index >= GHOST_SW_REGION_WORDS)) {
      bad = true;
    }
    return Fill(c, a, bad,
                absl::StrCat("fd ", a.enclave_fd, " region ", a.region,
                             " index ", a.index, " gtid ", a.gtid));
  }

  Call CreateQueueCall(Call c) {
    bool bad = false;
    ghost_create_queue_args a = {.enclave_fd = PickFd(false, &bad)};
    a.nelems = rng_.OneIn(2) ? rng_.Pick<uint32_t>({16, 256, 65536})
                             : rng_.Edgy32();
    a.flags = rng_.OneIn(4) ? rng_.Edgy32() : rng_.Below(2);
    const bool pow2 = a.nelems && !(a.nelems & (a.nelems - 1));
    if (!pow2 || a.nelems < GHOST_QUEUE_MIN_ELEMS ||
        a.nelems > GHOST_QUEUE_MAX_ELEMS || (a.flags & ~GHOST_QUEUE_F_DEFAULT)) {
      bad = true;
    }
    return Fill(c, a, bad,
                absl::StrCat("fd ", a.enclave_fd, " nelems ", a.nelems,
                             " flags ", a.flags));
  }

  Call AssocQueueCall(Call c) {
    bool bad = false;
    ghost_assoc_queue_args a = {.queue_fd = PickFd(true, &bad)};
    a.gtid = rng_.OneIn(4) ? rng_.Edgy64() : w_.WorkerGtid(rng_);
    a.barrier = rng_.OneIn(2) ? static_cast<uint32_t>(rng_.Below(30))
                              : rng_.Edgy32();
    return Fill(c, a, bad,
                absl::StrCat("queue ", a.queue_fd, " gtid ", a.gtid,
                             " barrier ", a.barrier));
  }

  int RandomCpuArg(bool* bad) {
    if (rng_.OneIn(5)) {
      *bad = true;
      return rng_.Pick<int>({-1, 0, kNrCpus, 4096, INT_MAX, INT_MIN});
    }
    return static_cast<int>(rng_.Range(1, kLastCpu));
  }

  Call WakeupCall(Call c) {
    bool bad = false;
    ghost_queue_wakeup_args a = {.queue_fd = PickFd(true, &bad)};
    a.nr_cpus = rng_.OneIn(5) ? rng_.Edgy32()
                              : static_cast<uint32_t>(rng_.Below(9));
    if (a.nr_cpus > GHOST_QUEUE_MAX_WAKEUP_CPUS) bad = true;
    for (uint32_t i = 0; i < GHOST_QUEUE_MAX_WAKEUP_CPUS; ++i) {
      bool bad_cpu = false;
      a.cpus[i] = RandomCpuArg(&bad_cpu);
      if (i < a.nr_cpus && bad_cpu) bad = true;
    }
    return Fill(c, a, bad,
                absl::StrCat("queue ", a.queue_fd, " nr ", a.nr_cpus));
  }

  // Never a valid attach from this thread: the main thread must not
  // become an agent.
  Call AttachCall(Call c) {
    bool bad_fd = false;
    ghost_agent_attach_args a = {.enclave_fd = PickFd(false, &bad_fd)};
    a.cpu = rng_.Pick<int>({-1, kNrCpus, 16, 4096, INT_MAX, INT_MIN});
    if (rng_.OneIn(3)) a.reserved = 1;
    return Fill(c, a, true,
                absl::StrCat("fd ", a.enclave_fd, " cpu ", a.cpu, " reserved ",
                             a.reserved));
  }

  Call CommitCall(Call c) {
    static int cpus[4] = {1, 2, 3, 1};
    ghost_commit_args a = {};
    a.cpus = rng_.OneIn(3) ? rng_.Edgy64() : reinterpret_cast<uint64_t>(cpus);
    a.nr_cpus = rng_.OneIn(3) ? rng_.Edgy32()
                              : static_cast<uint32_t>(rng_.Below(5));
    a.flags = static_cast<uint32_t>(rng_.Below(4));
    return Fill(c, a, true,
                absl::StrCat("commit from a non-agent nr ", a.nr_cpus));
  }

  Call PingCall(Call c) {
    bool bad = false;
    ghost_agent_ping_args a = {.cpu = RandomCpuArg(&bad)};
    return Fill(c, a, bad, absl::StrCat("cpu ", a.cpu));
  }

  Call CpuQueueCall(Call c) {
    bool bad = false;
    ghost_assoc_cpu_queue_args a = {.queue_fd = PickFd(true, &bad)};
    a.cpu = RandomCpuArg(&bad);
    return Fill(c, a, bad, absl::StrCat("queue ", a.queue_fd, " cpu ", a.cpu));
  }

  // The structure's reserved field, where it has one.
  static int ReservedOffset(unsigned int op) {
    switch (op) {
      case GHOST_OP_GET_GTID:
        return offsetof(ghost_gtid_args, reserved);
      case GHOST_OP_SW_INFO:
      case GHOST_OP_SW_FREE:
        return offsetof(ghost_sw_args, reserved);
      case GHOST_OP_CREATE_QUEUE:
        return offsetof(ghost_create_queue_args, reserved);
      case GHOST_OP_AGENT_ATTACH:
        return offsetof(ghost_agent_attach_args, reserved);
      case GHOST_OP_COMMIT:
        return offsetof(ghost_commit_args, reserved);
      case GHOST_OP_AGENT_BLOCK:
        return offsetof(ghost_agent_block_args, reserved);
      case GHOST_OP_AGENT_PING:
        return offsetof(ghost_agent_ping_args, reserved);
      default:
        return -1;
    }
  }

  unsigned int PickOp() {
    if (rng_.OneIn(10)) {
      return rng_.Pick<unsigned int>({0, 12, 13, 255, 0x80000000u,
                                      0xffffffffu, rng_.Edgy32() | 16});
    }
    return static_cast<unsigned int>(rng_.Range(1, GHOST_OP_ASSOC_CPU_QUEUE));
  }

  // Where the arguments go and how big the kernel is told they are. Sets
  // *bad for a pointer or size the kernel must refuse.
  struct Placement {
    void* ptr;
    unsigned int size;
  };
  Placement Place(Call& c) {
    const size_t k = c.arg.size();
    std::vector<char> extra;
    switch (rng_.Below(10)) {
      case 0:
        c.bad = true;
        c.what += " (null)";
        return {nullptr, static_cast<unsigned int>(k)};
      case 1:
        c.bad = true;
        c.what += " (bad pointer)";
        return {rng_.Pick<void*>({reinterpret_cast<void*>(1), arena_.hole(),
                                  reinterpret_cast<void*>(0xffffffff81000000)}),
                static_cast<unsigned int>(k)};
      case 2:
        if (k > 0) {
          c.bad = true;
          c.what += " (short)";
          return Copy(c.arg, static_cast<unsigned int>(rng_.Below(k)));
        }
        break;
      case 3:
        c.what += " (zero tail)";
        extra.assign(rng_.Range(1, 256), 0);
        break;
      case 4:
        c.bad = true;
        c.what += " (non-zero tail)";
        extra.assign(rng_.Range(1, 256), 0);
        extra[rng_.Below(extra.size())] = 1;
        break;
      case 5:
        // The tail runs into the hole: EFAULT, E2BIG or EINVAL.
        c.bad = true;
        c.what += " (huge)";
        return Copy(c.arg, rng_.Pick<unsigned int>({1u << 20, 0xffffffffu}));
      case 6:
        if (ReservedOffset(c.op) >= 0) {
          c.arg[ReservedOffset(c.op)] = 1;
          c.bad = true;
          c.what += " (reserved)";
        }
        break;
      default:
        break;
    }
    std::vector<char> all = c.arg;
    all.insert(all.end(), extra.begin(), extra.end());
    return Copy(all, static_cast<unsigned int>(all.size()));
  }

  // Copies `bytes` so they end where the hole starts.
  Placement Copy(const std::vector<char>& bytes, unsigned int size) {
    char* p = arena_.EndingAtHole(bytes.size());
    if (!bytes.empty()) memcpy(p, bytes.data(), bytes.size());
    return {p, size};
  }

  void GhostRun() {
    Call c = PlausibleCall(PickOp());
    const Placement at = Place(c);
    const std::string kind = absl::StrCat("run.", OpName(c.op));
    Trace(absl::StrCat("ghost_run ", c.op, " ", c.what, " size ", at.size));
    const Outcome o = RawRun(c.op, at.ptr, at.size);
    const uint32_t flags = c.op == GHOST_OP_COMMIT && c.arg.size() >= 16
                               ? *reinterpret_cast<uint32_t*>(&c.arg[12])
                               : 0;
    w_.ledger.Record(kind, o.ok, o.err, {RunErrnos(c.op, flags), !c.bad},
                     absl::StrCat("op ", c.op, " ", c.what, " size ", at.size));
    if (!o.ok) return;
    if (c.op == GHOST_OP_CREATE_QUEUE) {
      KeepQueue(static_cast<int>(o.ret),
                static_cast<ghost_create_queue_args*>(at.ptr)->map_size);
    }
    if (c.op == GHOST_OP_AGENT_ATTACH) testing::MoveToCfs(0);  // a finding
  }

  void KeepQueue(int fd, uint64_t map_size) {
    queues_.push_back(fd);
    queue_sizes_[fd] = map_size;
    if (queues_.size() > 8) {
      close(queues_.front());
      queue_sizes_.erase(queues_.front());
      queues_.erase(queues_.begin());
    }
  }

  // --- mappings ---

  struct MapTarget {
    std::string kind;
    int fd = -1;
    size_t size = 0;
    bool shared_only = true;  // MAP_PRIVATE is EINVAL
    bool read_only = false;   // PROT_WRITE is refused
    bool own_fd = true;
  };

  MapTarget OpenMapTarget() {
    MapTarget t;
    const std::vector<unsigned int>& ids = ids_;
    const int pick = static_cast<int>(rng_.Below(4));
    if (pick == 3 && !queues_.empty()) {
      const int fd = rng_.Pick(queues_);
      t = {.kind = "mmap.queue", .fd = fd, .size = queue_sizes_[fd],
           .own_fd = false};
      return t;
    }
    if (ids.empty()) return t;
    const std::string dir = EnclaveDir(rng_.Pick(ids));
    if (pick == 0) {
      t = {.kind = "mmap.cpu_data", .size = kTxnBytes};
      t.fd = open((dir + "/cpu_data").c_str(),
                  (rng_.OneIn(6) ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    } else if (pick == 1) {
      t = {.kind = "mmap.sw", .size = kSwBytes, .shared_only = false,
           .read_only = true};
      t.fd = open((dir + "/sw_regions/sw_0").c_str(), O_RDONLY | O_CLOEXEC);
    } else {
      t = {.kind = "mmap.status", .size = 0};  // no mmap at all
      t.fd = open((dir + "/status").c_str(), O_RDONLY | O_CLOEXEC);
    }
    return t;
  }

  void Mmap() {
    MapTarget t = OpenMapTarget();
    if (t.fd < 0) return;
    const size_t len = rng_.OneIn(3)
                           ? rng_.Pick<size_t>({0, 1, kPage, 2 * kPage,
                                                kSwBytes + kPage, 1ul << 30})
                           : std::max<size_t>(t.size, kPage);
    const off_t off = rng_.OneIn(4) ? rng_.Pick<off_t>({kPage, 1, 1 << 20}) : 0;
    const int prot = rng_.Pick<int>({PROT_READ, PROT_READ | PROT_WRITE,
                                     PROT_WRITE, PROT_NONE,
                                     PROT_READ | PROT_WRITE | PROT_EXEC});
    const int flags = rng_.OneIn(4) ? MAP_PRIVATE : MAP_SHARED;
    const bool bad = t.size == 0 || len == 0 || off != 0 ||
                     len > (t.size + kPage - 1) / kPage * kPage ||
                     (t.shared_only && flags == MAP_PRIVATE) ||
                     (t.read_only && (prot & PROT_WRITE));
    const std::string input =
        absl::StrCat(t.kind, " len ", len, " off ", off, " prot ", prot,
                     flags == MAP_PRIVATE ? " private" : " shared");
    Trace(input);
    void* p = mmap(nullptr, len, prot, flags, t.fd, off);
    const int err = errno;
    w_.ledger.Record(t.kind, p != MAP_FAILED, err, {kMmapErrnos, !bad}, input);
    if (p != MAP_FAILED) UseMapping(t, p, len, prot, flags);
    if (t.own_fd) close(t.fd);
  }

  // Touches every page of a mapping that worked, and tries to make a
  // read-only one writable.
  void UseMapping(const MapTarget& t, void* p, size_t len, int prot,
                  int flags) {
    volatile const char* bytes = static_cast<const char*>(p);
    if (prot & PROT_READ) {
      const bool ok = GuardedAccess([&] {
        for (size_t i = 0; i < len && i < t.size; i += kPage) (void)bytes[i];
      });
      if (!ok) {
        w_.ledger.Problem(t.kind, "SIGBUS from a ghost mapping", t.kind);
      }
    }
    if (t.read_only) {
      const Outcome o = Check(mprotect(p, len, PROT_READ | PROT_WRITE));
      w_.ledger.Record(t.kind + ".mprotect_write", o.ok, o.err,
                       {{EACCES}, false}, t.kind);
    }
    if (t.kind == "mmap.queue" && (prot & PROT_WRITE) && flags == MAP_SHARED) {
      // The agent's side of a ring: any tail must leave the kernel safe.
      auto* hdr = static_cast<ghost_queue_header*>(p);
      __atomic_store_n(&hdr->tail, rng_.Edgy32(), __ATOMIC_RELEASE);
      w_.ledger.Count("queue.scribble_tail");
    }
    munmap(p, len);
  }

  // Garbage into any enclave's slots: the kernel reads them at the next
  // commit, so no value may hurt it. Never CLAIMED (the agent's check).
  void Scribble() {
    const std::vector<unsigned int>& ids = ids_;
    if (ids.empty()) return;
    const std::string path = EnclaveDir(rng_.Pick(ids)) + "/cpu_data";
    const int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return;
    void* p = mmap(nullptr, kTxnBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) return;
    auto* txn = static_cast<ghost_txn*>(p) + rng_.Below(kNrCpus);
    const int32_t state = rng_.Pick<int32_t>(
        {GHOST_TXN_IDLE, GHOST_TXN_READY, GHOST_TXN_READY, GHOST_TXN_COMPLETE,
         GHOST_TXN_NO_AGENT, 99, -1, INT_MIN});
    const uint64_t gtid = rng_.OneIn(2) ? w_.WorkerGtid(rng_) : rng_.Edgy64();
    const uint32_t flags = rng_.Edgy32();
    Trace(absl::StrCat("scribble ", path, " state ", state));
    if (!GuardedAccess([&] {
          txn->gtid = gtid;
          txn->run_flags = flags;
          txn->cpu = flags;  // the kernel must not trust it
          __atomic_store_n(&txn->state, state, __ATOMIC_RELEASE);
        })) {
      w_.ledger.Problem("cpu_data.scribble", "SIGBUS from a ghost mapping",
                        path);
    }
    munmap(p, kTxnBytes);
    w_.ledger.Count("cpu_data.scribble");
  }

  World& w_;
  FuzzRng rng_;
  ArgArena arena_;
  std::vector<int> others_;  // never an enclave directory nor a queue
  std::vector<int> dirs_;    // enclave directories, some destroyed
  std::vector<int> queues_;
  std::map<int, uint64_t> queue_sizes_;
  // The live enclaves, as of a moment ago: listing them costs more than
  // most operations, and a stale list is a case too.
  std::vector<unsigned int> ids_ = LiveIds();  // what CREATE_QUEUE said to map
};

// --- setup and health ---------------------------------------------------

// Threads whose parent is kthreadd: kernel threads, which never enter.
std::vector<pid_t> KernelThreads() {
  std::vector<pid_t> out = {2};
  for (pid_t pid = 3; pid < 200 && out.size() < 16; ++pid) {
    absl::StatusOr<std::string> stat =
        ReadGhostfsFile(absl::StrCat("/proc/", pid, "/stat"));
    if (!stat.ok()) continue;
    const size_t paren = stat->rfind(')');
    std::vector<absl::string_view> f =
        absl::StrSplit(absl::string_view(*stat).substr(paren + 2), ' ');
    if (f.size() > 1 && f[1] == "2") out.push_back(pid);
  }
  return out;
}

void Spin(absl::Duration d) {
  const absl::Time end = absl::Now() + d;
  while (absl::Now() < end) {
  }
}

// What a worker does next: mostly sleep, yield and spin; now and then
// change its affinity (a latch elsewhere becomes impossible) or nice value,
// or start a short-lived thread (born in the enclave if the worker is a
// ghost thread).
void WorkerStep(World& w, FuzzRng& rng) {
  switch (rng.Below(12)) {
    case 0:
    case 1:
    case 2:
      absl::SleepFor(absl::Microseconds(rng.Range(50, 2000)));
      break;
    case 3:
    case 4:
      sched_yield();
      break;
    case 5:
    case 6:
      Spin(absl::Microseconds(rng.Range(10, 500)));
      break;
    case 7: {
      cpu_set_t set;
      CPU_ZERO(&set);
      const uint64_t mask = rng.Range(1, 15);
      for (int c = 0; c < kNrCpus; ++c) {
        if (mask & (1u << c)) CPU_SET(c, &set);
      }
      const Outcome o = Check(sched_setaffinity(0, sizeof(set), &set));
      w.ledger.Record("worker.affinity", o.ok, o.err, {{EINVAL}, true},
                      absl::StrCat("mask ", mask));
      break;
    }
    case 8: {
      const Outcome o =
          Check(setpriority(PRIO_PROCESS, 0, static_cast<int>(rng.Range(-5, 10))));
      w.ledger.Record("worker.nice", o.ok, o.err, {{}, true}, "setpriority");
      break;
    }
    case 9: {
      std::thread child([] {
        Spin(absl::Microseconds(100));
        absl::SleepFor(absl::Microseconds(200));
      });
      child.join();
      w.ledger.Count("worker.child");
      break;
    }
    default:
      absl::SleepFor(absl::Milliseconds(rng.Range(1, 10)));
      break;
  }
}

void StartWorkers(World& w) {
  for (int i = 0; i < kWorkers; ++i) {
    auto worker = std::make_unique<Worker>();
    Worker* me = worker.get();
    me->thread = std::thread([&w, me, i] {
      FuzzRng rng(w.config.seed, 400 + i);
      me->gtid.store(GetGtid().value_or(0));
      me->tid.store(Gettid());
      while (!w.stop_workers.load()) {
        WorkerStep(w, rng);
        me->rounds.fetch_add(1);
      }
      me->done.store(true);
    });
    w.workers.push_back(std::move(worker));
  }
  for (auto& worker : w.workers) {
    while (worker->tid.load() == 0) absl::SleepFor(absl::Microseconds(100));
  }
}

// Waits for `done` up to `limit`.
bool WaitFor(const std::atomic<bool>& done, absl::Duration limit) {
  const absl::Time end = absl::Now() + limit;
  while (!done.load() && absl::Now() < end) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  return done.load();
}

// A thread that sets *done when `body` returns.
struct Helper {
  std::atomic<bool> done{false};
  std::thread thread;
  template <typename Body>
  void Start(Body body) {
    thread = std::thread([this, body] {
      body();
      done.store(true);
    });
  }
};

void Heartbeat(World& w, absl::Time start, int kmsg) {
  const std::string line =
      absl::StrFormat("ghost-fuzz: seed %u, %d s, %u operations\n",
                      w.config.seed, absl::ToInt64Seconds(absl::Now() - start),
                      w.ledger.total());
  printf("# %s", line.c_str());
  fflush(stdout);
  if (kmsg >= 0) (void)write(kmsg, line.data(), line.size());
}

absl::Duration FuzzDuration(const FuzzConfig& c) {
  // Leave the checks afterwards time within the per-case budget.
  const absl::Duration budget =
      absl::GetFlag(FLAGS_test_timeout) - absl::Seconds(20);
  if (c.duration <= budget) return c.duration;
  printf("# GHOST_FUZZ_SECONDS is more than --test_timeout allows; fuzzing "
         "%d s (pass --test_timeout=%ds for more)\n",
         static_cast<int>(absl::ToInt64Seconds(budget)),
         static_cast<int>(absl::ToInt64Seconds(c.duration) + 30));
  return std::max(budget, absl::Seconds(1));
}

void OnSigusr1(int) {}

// After the enclaves are gone, every worker is a CFS thread again and
// finishes.
bool ExpectWorkersFinish(World& w) {
  w.stop_workers.store(true);
  bool all = true;
  for (auto& worker : w.workers) {
    const bool done = WaitFor(worker->done, absl::Seconds(15));
    EXPECT_TRUE(done) << "worker " << worker->tid.load() << " (policy "
                      << sched_getscheduler(worker->tid.load())
                      << ") did not finish after every enclave was destroyed";
    if (done) worker->thread.join();
    if (!done) worker->thread.detach();
    all = all && done;
  }
  return all;
}

void ExpectCtlStillWorks() {
  const unsigned int id = kPoolBase + 50;
  ASSERT_TRUE(WriteGhostfsFile(kMount + "/ctl", absl::StrCat("create ", id)).ok());
  EXPECT_TRUE(WriteGhostfsFile(EnclaveDir(id) + "/cpulist", "1-3").ok());
  EXPECT_TRUE(WriteGhostfsFile(EnclaveDir(id) + "/ctl", "destroy").ok());
  EXPECT_NE(access(EnclaveDir(id).c_str(), F_OK), 0);
  absl::StatusOr<std::string> version = ReadGhostfsFile(kMount + "/version");
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, "2\n");
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
  while (tid.load() == 0) absl::SleepFor(absl::Microseconds(100));
  testing::WaitUntilAsleep(tid.load());
  EXPECT_TRUE(e->AddTask(tid.load()).ok());
  go.store(true);
  EXPECT_TRUE(WaitFor(done, absl::Seconds(10)))
      << "a thread under a real agent did not finish after the fuzzing";
  agent->reset();
  (void)e->Destroy();
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

// DISABLED in the default run: with seed 1796168463681853524 its main
// thread stopped making progress after ~10 s (8066 operations) while the
// churn thread went on, and the case hit the runner's 180 s budget; no
// kernel report was logged. Not diagnosed yet (an in-process rogue agent
// and the mmap lock is a suspect, see tests/vm/fifo_test_agent.h). Run it
// with --gtest_also_run_disabled_tests --gtest_filter='AbiFuzzTest.*'.
TEST(AbiFuzzTest, DISABLED_RandomOperationsLeaveTheKernelHealthy) {
  ASSERT_TRUE(EnsureGhostfsMounted(kMount).ok());
  DestroyAllEnclaves();
  const FuzzConfig config = ReadConfig();
  const absl::Duration duration = FuzzDuration(config);
  printf("# AbiFuzz seed %llu, %lld s: replay with GHOST_FUZZ_SEED=%llu "
         "GHOST_FUZZ_SECONDS=%lld (GHOST_FUZZ_TRACE=1 names each operation)\n",
         static_cast<unsigned long long>(config.seed),
         static_cast<long long>(absl::ToInt64Seconds(duration)),
         static_cast<unsigned long long>(config.seed),
         static_cast<long long>(absl::ToInt64Seconds(duration)));
  fflush(stdout);
  g_trace.store(config.trace);
  testing::InstallSigbusGuard();
  signal(SIGUSR1, OnSigusr1);

  // Leaked if a thread stays stuck: it may still use it.
  World* w = new World(config);
  w->kthreads = KernelThreads();
  absl::StatusOr<std::string> pid_max =
      ReadGhostfsFile("/proc/sys/kernel/pid_max");
  if (pid_max.ok()) (void)absl::SimpleAtoi(absl::StripAsciiWhitespace(*pid_max),
                                          &w->pid_max);
  StartWorkers(*w);
  auto churn = std::make_unique<Churn>(*w);
  churn->MakeHome();
  auto agent = std::make_unique<RogueAgent>(*w, 0);
  auto agent2 = std::make_unique<RogueAgent>(*w, 1);
  Helper agent_thread, agent2_thread, pinger, churn_thread;
  agent_thread.Start([&] { agent->Run(); });
  agent2_thread.Start([&] { agent2->Run(); });
  pinger.Start([w] { PingerBody(*w); });
  churn_thread.Start([&] { churn->Run(); });

  const int kmsg = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
  {
    SurfaceFuzzer surface(*w);
    surface.RunCorpus();
    const absl::Time start = absl::Now();
    absl::Time beat = start;
    while (absl::Now() - start < duration) {
      surface.Step();
      if (absl::Now() - beat > absl::Seconds(2)) {
        Heartbeat(*w, start, kmsg);
        beat = absl::Now();
      }
    }
  }
  if (kmsg >= 0) close(kmsg);

  // The agent stops first; the pinger wakes it if it sleeps in ghost_run().
  w->stop.store(true);
  const bool agent_done = WaitFor(agent_thread.done, absl::Seconds(15)) &&
                          WaitFor(agent2_thread.done, absl::Seconds(5));
  w->stop_helpers.store(true);
  const bool helpers_done = WaitFor(pinger.done, absl::Seconds(5)) &&
                            WaitFor(churn_thread.done, absl::Seconds(15));
  EXPECT_TRUE(agent_done) << "the rogue agent thread is stuck";
  EXPECT_TRUE(helpers_done) << "the pinger or churn thread is stuck";

  DestroyAllEnclaves();
  EXPECT_THAT(LiveIds(), ::testing::IsEmpty()) << "enclaves left after cleanup";
  EnsureCpusOnline();
  const bool workers_done = ExpectWorkersFinish(*w);
  ExpectCtlStillWorks();
  ExpectAnAgentStillSchedules();
  DestroyAllEnclaves();
  ExpectNothingLeaked();

  printf("# AbiFuzz seed %llu: %llu operations\n%s",
         static_cast<unsigned long long>(config.seed),
         static_cast<unsigned long long>(w->ledger.total()),
         w->ledger.Table().c_str());
  fflush(stdout);
  EXPECT_GT(w->ledger.count("agent.commit"), 0u)
      << "the rogue agent never committed: the fuzzer tested little";
  const std::vector<std::string> findings = w->ledger.Findings();
  EXPECT_THAT(findings, ::testing::IsEmpty())
      << "seed " << config.seed << ": results docs/abi.md does not allow:\n"
      << absl::StrJoin(findings, "\n");

  if (agent_done && helpers_done && workers_done) {
    agent_thread.thread.join();
    agent2_thread.thread.join();
    pinger.thread.join();
    churn_thread.thread.join();
    delete w;
  } else {
    agent_thread.thread.detach();
    agent2_thread.thread.detach();
    pinger.thread.detach();
    churn_thread.thread.detach();
    (void)agent.release();
    (void)agent2.release();
    (void)churn.release();
  }
}

// Found by RandomOperationsLeaveTheKernelHealthy (seed 1796163021240205242):
// CPU 3 went offline while the rogue agent was its agent. The hotplug moved
// the agent to another CPU ("no longer affine to cpu3"), and then CPU 3 ran
// a task queued on another runqueue: a lockdep WARNING in cpuacct_charge()
// (update_curr_common <- dequeue_task_ghost), list corruption in
// cpu_stop_queue_work() <- balance_push(), a panic. Here with nothing else
// going on; the agent only sleeps.
TEST(AbiFuzzTest, AnAgentsCpuGoesOfflineAndComesBack) {
  const std::string online = "/sys/devices/system/cpu/cpu3/online";
  if (access(online.c_str(), W_OK) != 0) GTEST_SKIP() << "no CPU hotplug";
  ASSERT_TRUE(EnsureGhostfsMounted(kMount).ok());
  DestroyAllEnclaves();
  absl::StatusOr<Enclave> e = Enclave::Create(kPoolBase + 60);
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_TRUE(e->SetCpus("3").ok());
  absl::StatusOr<Fd> dir = OpenEnclaveDir(e->dir());
  ASSERT_TRUE(dir.ok()) << dir.status();
  std::atomic<int> attached{0};
  std::atomic<bool> stop{false}, left{false};
  std::thread agent([&] {
    attached.store(AttachAgent(dir->get(), kLastCpu).ok() ? 1 : -1);
    while (attached.load() > 0 && !stop.load()) {
      absl::SleepFor(absl::Milliseconds(1));  // never spins as an agent
    }
    testing::MoveToCfs(0);
    left.store(true);
  });
  while (attached.load() == 0) absl::SleepFor(absl::Milliseconds(1));
  ASSERT_EQ(attached.load(), 1) << "could not attach to CPU 3";
  for (int round = 0; round < 2; ++round) {
    ASSERT_TRUE(WriteGhostfsFile(online, "0").ok());
    absl::SleepFor(absl::Milliseconds(200));
    absl::StatusOr<std::string> cpus = e->Cpus();
    ASSERT_TRUE(cpus.ok()) << cpus.status();
    EXPECT_EQ(*cpus, "") << "an offline CPU leaves its enclave";
    ASSERT_TRUE(WriteGhostfsFile(online, "1").ok());
    absl::SleepFor(absl::Milliseconds(200));
  }
  stop.store(true);
  EXPECT_TRUE(WaitFor(left, absl::Seconds(10))) << "the agent is stuck";
  (void)e->Destroy();
  if (left.load()) {
    agent.join();
  } else {
    agent.detach();
  }
}

}  // namespace
}  // namespace ghost
