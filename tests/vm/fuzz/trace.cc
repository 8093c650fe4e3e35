#include "tests/vm/fuzz/trace.h"

#include <sys/mman.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <new>

#include "absl/base/thread_annotations.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace ghost::fuzz {
namespace {

constexpr int kThreads = 16;  // more than the fuzzer has
constexpr int kKept = 12;     // operations kept per thread
constexpr int kWhoBytes = 24;
constexpr int kWhatBytes = 160;

// One thread's last operations: a ring written by that thread only. `seq`
// is published after the entry it numbers, so a reader sees whole entries
// unless the writer is still going (then the report is late anyway).
struct Record {
  std::atomic<uint64_t> seq{0};
  char who[kWhoBytes] = {};
  int64_t when_ns[kKept] = {};
  char what[kKept][kWhatBytes] = {};
};

struct Records {
  std::atomic<int> claimed{0};
  Record records[kThreads];
};

// In memory shared with processes forked later, so that the stall watchdog
// (progress_watchdog.h) reads them from its own address space even when
// this one is stuck. Mapped before main(), hence before any fork.
Records* MapRecords() {
  void* p = mmap(nullptr, sizeof(Records), PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : new (p) Records();
}
Records* const g_records = MapRecords();

absl::Mutex g_claim_mu;  // claims happen in the fuzzer's process only

thread_local const char* tl_who = "main";
thread_local Record* tl_record = nullptr;
std::atomic<bool> g_trace{false};

// The record named `who`, or a fresh one; nullptr if none is left.
Record* Claim(const char* who) {
  if (g_records == nullptr) return nullptr;
  absl::MutexLock lock(&g_claim_mu);
  const int claimed = g_records->claimed.load();
  for (int i = 0; i < claimed; ++i) {
    if (strncmp(g_records->records[i].who, who, kWhoBytes - 1) == 0) {
      return &g_records->records[i];
    }
  }
  if (claimed == kThreads) return nullptr;
  Record* r = &g_records->records[claimed];
  snprintf(r->who, kWhoBytes, "%s", who);
  g_records->claimed.store(claimed + 1);
  return r;
}

}  // namespace

void EnableTrace(bool on) { g_trace.store(on); }

void SetTraceName(const char* who) {
  tl_who = who;
  tl_record = Claim(who);
}

void Trace(absl::string_view what) {
  if (tl_record == nullptr) tl_record = Claim(tl_who);
  const std::string text = absl::CHexEscape(what.substr(0, 200));
  uint64_t seq = 0;
  if (Record* r = tl_record) {
    seq = r->seq.load(std::memory_order_relaxed) + 1;
    r->when_ns[seq % kKept] = absl::ToUnixNanos(absl::Now());
    snprintf(r->what[seq % kKept], kWhatBytes, "%s", text.c_str());
    r->seq.store(seq, std::memory_order_release);
  }
  if (!g_trace.load(std::memory_order_relaxed)) return;
  const std::string line = absl::StrCat("# T ", tl_who, "#", seq, " ",
                                        text, "\n");
  fputs(line.c_str(), stdout);
  fflush(stdout);
}

std::string RecentOperations() {
  if (g_records == nullptr) return "# (no trace records)\n";
  const int64_t now = absl::ToUnixNanos(absl::Now());
  std::string out;
  const int claimed = g_records->claimed.load();
  for (int i = 0; i < claimed; ++i) {
    const Record& r = g_records->records[i];
    const uint64_t seq = r.seq.load(std::memory_order_acquire);
    absl::StrAppend(&out, "# ", r.who, ": ", seq, " operations, the last:\n");
    const uint64_t first = seq >= kKept ? seq - kKept + 1 : 1;
    for (uint64_t s = first; s <= seq; ++s) {
      absl::StrAppendFormat(&out, "#   #%u %.3f s ago: %s\n", s,
                            (now - r.when_ns[s % kKept]) / 1e9,
                            r.what[s % kKept]);
    }
  }
  return out;
}

}  // namespace ghost::fuzz
