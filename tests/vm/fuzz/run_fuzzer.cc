#include "tests/vm/fuzz/run_fuzzer.h"

#include <fcntl.h>
#include <unistd.h>

#include <climits>
#include <cstddef>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "lib/uapi/linux/ghost.h"
#include "tests/vm/fuzz/abi_rules.h"
#include "tests/vm/fuzz/layout.h"
#include "tests/vm/fuzz/syscalls.h"
#include "tests/vm/fuzz/system_view.h"
#include "tests/vm/fuzz/trace.h"
#include "tests/vm/vm_helpers.h"

namespace ghost::fuzz {

void RunFuzzer::RefreshDirs() {
  const std::vector<unsigned int>& ids = fds_.ids;
  if (ids.empty()) return;
  const int fd = open(EnclaveDir(rng_.Pick(ids)).c_str(),
                      O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  // Old ones stay a while: an fd of a destroyed enclave is a case too.
  fds_.dirs.push_back(fd);
  if (fds_.dirs.size() > 6) {
    close(fds_.dirs.front());
    fds_.dirs.erase(fds_.dirs.begin());
  }
}

// An fd for an operation that wants an enclave directory (or a queue):
// sets *bad when it is certainly not one.
int RunFuzzer::PickFd(bool want_queue, bool* bad) {
  const std::vector<int>& right = want_queue ? fds_.queues : fds_.dirs;
  const std::vector<int>& wrong = want_queue ? fds_.dirs : fds_.queues;
  switch (rng_.Below(8)) {
    case 0:
      *bad = true;
      return rng_.Pick<int>({-1, kClosedFd, INT_MAX, 1 << 20});
    case 1:
    case 2:
      if (fds_.others.empty()) break;
      *bad = true;
      return rng_.Pick(fds_.others);
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

RunFuzzer::Call RunFuzzer::PlausibleCall(unsigned int op) {
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

RunFuzzer::Call RunFuzzer::GtidCall(Call c) {
  ghost_gtid_args a = {};
  bool bad = false;
  switch (rng_.Below(5)) {
    case 0:
      a.tid = 0;
      break;
    case 1:
      a.tid = w_.WorkerTid(rng_);
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

RunFuzzer::Call RunFuzzer::SwCall(Call c) {
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

RunFuzzer::Call RunFuzzer::CreateQueueCall(Call c) {
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

RunFuzzer::Call RunFuzzer::AssocQueueCall(Call c) {
  bool bad = false;
  ghost_assoc_queue_args a = {.queue_fd = PickFd(true, &bad)};
  a.gtid = rng_.OneIn(4) ? rng_.Edgy64() : w_.WorkerGtid(rng_);
  a.barrier = rng_.OneIn(2) ? static_cast<uint32_t>(rng_.Below(30))
                            : rng_.Edgy32();
  return Fill(c, a, bad,
              absl::StrCat("queue ", a.queue_fd, " gtid ", a.gtid,
                           " barrier ", a.barrier));
}

int RunFuzzer::RandomCpuArg(bool* bad) {
  if (rng_.OneIn(5)) {
    *bad = true;
    return rng_.Pick<int>({-1, 0, kNrCpus, 4096, INT_MAX, INT_MIN});
  }
  return static_cast<int>(rng_.Range(1, kLastCpu));
}

RunFuzzer::Call RunFuzzer::WakeupCall(Call c) {
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
RunFuzzer::Call RunFuzzer::AttachCall(Call c) {
  bool bad_fd = false;
  ghost_agent_attach_args a = {.enclave_fd = PickFd(false, &bad_fd)};
  a.cpu = rng_.Pick<int>({-1, kNrCpus, 16, 4096, INT_MAX, INT_MIN});
  if (rng_.OneIn(3)) a.reserved = 1;
  return Fill(c, a, true,
              absl::StrCat("fd ", a.enclave_fd, " cpu ", a.cpu, " reserved ",
                           a.reserved));
}

RunFuzzer::Call RunFuzzer::CommitCall(Call c) {
  static int cpus[4] = {1, 2, 3, 1};
  ghost_commit_args a = {};
  a.cpus = rng_.OneIn(3) ? rng_.Edgy64() : reinterpret_cast<uint64_t>(cpus);
  a.nr_cpus = rng_.OneIn(3) ? rng_.Edgy32()
                            : static_cast<uint32_t>(rng_.Below(5));
  a.flags = static_cast<uint32_t>(rng_.Below(4));
  return Fill(c, a, true,
              absl::StrCat("commit from a non-agent nr ", a.nr_cpus));
}

RunFuzzer::Call RunFuzzer::PingCall(Call c) {
  bool bad = false;
  ghost_agent_ping_args a = {.cpu = RandomCpuArg(&bad)};
  return Fill(c, a, bad, absl::StrCat("cpu ", a.cpu));
}

RunFuzzer::Call RunFuzzer::CpuQueueCall(Call c) {
  bool bad = false;
  ghost_assoc_cpu_queue_args a = {.queue_fd = PickFd(true, &bad)};
  a.cpu = RandomCpuArg(&bad);
  return Fill(c, a, bad, absl::StrCat("queue ", a.queue_fd, " cpu ", a.cpu));
}

// The structure's reserved field, where it has one.
int RunFuzzer::ReservedOffset(unsigned int op) {
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

unsigned int RunFuzzer::PickOp() {
  if (rng_.OneIn(10)) {
    return rng_.Pick<unsigned int>({0, 12, 13, 255, 0x80000000u,
                                    0xffffffffu, rng_.Edgy32() | 16});
  }
  return static_cast<unsigned int>(rng_.Range(1, GHOST_OP_ASSOC_CPU_QUEUE));
}

RunFuzzer::Placement RunFuzzer::Place(Call& c) {
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
RunFuzzer::Placement RunFuzzer::Copy(const std::vector<char>& bytes, unsigned int size) {
  char* p = arena_.EndingAtHole(bytes.size());
  if (!bytes.empty()) memcpy(p, bytes.data(), bytes.size());
  return {p, size};
}

void RunFuzzer::GhostRun() {
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

void RunFuzzer::KeepQueue(int fd, uint64_t map_size) {
  fds_.queues.push_back(fd);
  fds_.queue_sizes[fd] = map_size;
  if (fds_.queues.size() > 8) {
    close(fds_.queues.front());
    fds_.queue_sizes.erase(fds_.queues.front());
    fds_.queues.erase(fds_.queues.begin());
  }
}


}  // namespace ghost::fuzz
