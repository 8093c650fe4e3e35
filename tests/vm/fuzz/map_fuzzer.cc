#include "tests/vm/fuzz/map_fuzzer.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include "absl/strings/str_cat.h"
#include "lib/uapi/linux/ghost.h"
#include "tests/vm/fuzz/abi_rules.h"
#include "tests/vm/fuzz/guarded_access.h"
#include "tests/vm/fuzz/layout.h"
#include "tests/vm/fuzz/syscalls.h"
#include "tests/vm/fuzz/system_view.h"
#include "tests/vm/fuzz/trace.h"

namespace ghost::fuzz {

MapFuzzer::MapTarget MapFuzzer::OpenMapTarget() {
  MapTarget t;
  const std::vector<unsigned int>& ids = fds_.ids;
  const int pick = static_cast<int>(rng_.Below(4));
  if (pick == 3 && !fds_.queues.empty()) {
    const int fd = rng_.Pick(fds_.queues);
    t = {.kind = "mmap.queue", .fd = fd, .size = fds_.queue_sizes[fd],
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

void MapFuzzer::Mmap() {
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
void MapFuzzer::UseMapping(const MapTarget& t, void* p, size_t len, int prot,
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

void MapFuzzer::Scribble() {
  const std::vector<unsigned int>& ids = fds_.ids;
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


}  // namespace ghost::fuzz
