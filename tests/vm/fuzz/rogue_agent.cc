#include "tests/vm/fuzz/rogue_agent.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lib/abi/cpu_data_region.h"
#include "lib/abi/ghost_run.h"
#include "tests/vm/fuzz/abi_rules.h"
#include "tests/vm/fuzz/fuzz_write.h"
#include "tests/vm/fuzz/guarded_access.h"
#include "tests/vm/fuzz/layout.h"
#include "tests/vm/fuzz/syscalls.h"
#include "tests/vm/fuzz/system_view.h"
#include "tests/vm/fuzz/trace.h"
#include "tests/vm/vm_helpers.h"

namespace ghost::fuzz {

void RogueAgent::Run() {
  SetTraceName(index_ == 0 ? "agent0" : "agent1");
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

bool RogueAgent::Attach() {
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

void RogueAgent::MapRegions(const std::string& dir) {
  txns_ = MapFile(dir + "/cpu_data", O_RDWR, kTxnBytes,
                  PROT_READ | PROT_WRITE);
  words_ = MapFile(dir + "/sw_regions/sw_0", O_RDONLY, kSwBytes, PROT_READ);
}

void* RogueAgent::MapFile(const std::string& path, int mode, size_t len, int prot) {
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
void RogueAgent::CheckPinned() {
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

void RogueAgent::Leave() {
  w_.agent_cpu[index_].store(-1);
  if (StillAgent()) testing::MoveToCfs(0);
  for (int fd : queues_) close(fd);
  queues_.clear();
  Unmap();
}

void RogueAgent::Unmap() {
  if (txns_ != nullptr) munmap(txns_, kTxnBytes);
  if (words_ != nullptr) munmap(words_, kSwBytes);
  txns_ = nullptr;
  words_ = nullptr;
  if (dir_fd_ >= 0) close(dir_fd_);
  dir_fd_ = -1;
}

void RogueAgent::Burst() {
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
void RogueAgent::Faulted(const char* what) {
  w_.ledger.Problem("agent.mapping", "SIGBUS from a ghost mapping",
                    absl::StrCat(what, " of enclave ", id_));
}

// The agent barrier, from our status word.
uint32_t RogueAgent::AgentBarrier() {
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
uint32_t RogueAgent::TaskBarrier(uint64_t gtid) {
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

uint64_t RogueAgent::PickTarget() {
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

uint32_t RogueAgent::PickRunFlags() {
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
void RogueAgent::FillSlot(int cpu) {
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

int RogueAgent::PickCommitCpu(const std::vector<int>& so_far) {
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

void RogueAgent::Commit() {
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
  w_.commits[index_].fetch_add(1);  // odd: our claims are in flight
  const Outcome o = RawRun(GHOST_OP_COMMIT, &args, sizeof(args));
  w_.commits[index_].fetch_add(1);
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
bool RogueAgent::CommitDefect(ghost_commit_args* args, std::vector<int>* cpus) {
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
void RogueAgent::CheckSlots(const std::vector<int>& cpus, const std::string& input) {
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

// Others claim slots too: the other rogue agent's commit until it
// returns (it can be preempted meanwhile, or evicted and then wait as a
// CFS thread, and under TCG its virtual CPU can wait for the host), and
// the kernel failing a detached agent's READY slot (claim, then result).
// So CLAIMED is seen now and then; a slot that no claimer ever finishes
// stays CLAIMED for good, and the poll below cannot miss it.
bool RogueAgent::StillClaimed(const ghost_txn* txn) {
  bool faulted = false;
  const bool finished = testing::WaitFor(
      [&] {
        int32_t state = GHOST_TXN_CLAIMED;
        faulted = !GuardedAccess([&] {
          state = __atomic_load_n(&txn->state, __ATOMIC_ACQUIRE);
        });
        return faulted || state != GHOST_TXN_CLAIMED;
      },
      absl::Seconds(2));
  return !finished && !faulted;
}

// Whether this thread may have stopped being an agent since `epoch` (a
// read of World::evictions): a write that evicts agents overlapped.
bool RogueAgent::MayHaveBeenEvicted(uint64_t epoch) const {
  return (epoch & 1) != 0 || w_.evictions.load() != epoch;
}

void RogueAgent::Block() {
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

void RogueAgent::Ping() {
  ghost_agent_ping_args args = {
      .cpu = rng_.OneIn(4) ? cpu_ : static_cast<int>(rng_.Range(-1, 4))};
  Trace(absl::StrCat("ping ", args.cpu));
  const Outcome o = RawRun(GHOST_OP_AGENT_PING, &args, sizeof(args));
  w_.ledger.Record("agent.ping", o.ok, o.err,
                   {RunErrnos(GHOST_OP_AGENT_PING), args.cpu >= 1 &&
                                                        args.cpu <= kLastCpu},
                   absl::StrCat("cpu ", args.cpu));
}

void RogueAgent::CreateQueue(bool default_queue) {
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
void RogueAgent::QueueOp() {
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

void RogueAgent::SwFree() {
  ghost_sw_args args = {.enclave_fd = dir_fd_};
  bool bad = false;
  bool own = false;  // our own word: its thread is a member
  const uint64_t epoch = w_.evictions.load();
  switch (rng_.Below(3)) {
    case 0:
      args.index = sw_index_;
      own = bad = true;
      break;
    case 1:
      args.index = static_cast<uint32_t>(rng_.Below(64));
      break;
    default:
      args.index = rng_.Edgy32();
      bad = args.index >= GHOST_SW_REGION_WORDS;
      break;
  }
  const bool bad_region = rng_.OneIn(8);
  if (bad_region) {
    args.region = rng_.Edgy32() | 1;
    bad = true;
  }
  Trace(absl::StrCat("sw_free ", args.region, "/", args.index));
  const Outcome o = RawRun(GHOST_OP_SW_FREE, &args, sizeof(args));
  // Unless we were evicted meanwhile: then the word is free to go.
  if (own && !bad_region && (!StillAgent() || MayHaveBeenEvicted(epoch))) {
    bad = false;
  }
  w_.ledger.Record("agent.sw_free", o.ok, o.err,
                   {RunErrnos(GHOST_OP_SW_FREE), !bad},
                   absl::StrCat(args.region, "/", args.index));
}

// An agent is a ghost thread: attaching again must fail (EBUSY), unless
// a cpulist write or hotplug evicted it meanwhile; then it is an agent of
// the new CPU.
void RogueAgent::AttachAgain() {
  ghost_agent_attach_args args = {
      .enclave_fd = dir_fd_, .cpu = static_cast<int>(rng_.Range(1, 3))};
  const uint64_t epoch = w_.evictions.load();
  const bool agent = StillAgent();
  Trace(absl::StrCat("attach again cpu ", args.cpu));
  const Outcome o = RawRun(GHOST_OP_AGENT_ATTACH, &args, sizeof(args));
  const bool evicted = !agent || MayHaveBeenEvicted(epoch);
  w_.ledger.Record("agent.attach_again", o.ok, o.err,
                   {RunErrnos(GHOST_OP_AGENT_ATTACH), evicted},
                   absl::StrCat("cpu ", args.cpu));
  if (o.ok) {
    cpu_ = args.cpu;
    sw_index_ = args.sw_index;
    w_.agent_cpu[index_].store(cpu_);
  }
}

void RogueAgent::MoveWorkerIn() {
  const pid_t tid = w_.SleepingWorker(rng_);
  if (tid == 0) return;
  FuzzWrite(w_, "agent.tasks", EnclaveDir(id_) + "/tasks",
            absl::StrCat(tid), {kTasksErrnos, true});
}

}  // namespace ghost::fuzz
