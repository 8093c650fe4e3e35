#include "tests/vm/fuzz/trace.h"

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>

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

// One thread's last operations: a ring written by that thread only, read
// by the watchdog.
struct Record {
  absl::Mutex mu;
  std::string who ABSL_GUARDED_BY(mu);
  uint64_t seq ABSL_GUARDED_BY(mu) = 0;
  absl::Time when[kKept] ABSL_GUARDED_BY(mu);
  std::string what[kKept] ABSL_GUARDED_BY(mu);
};

Record g_records[kThreads];
absl::Mutex g_claim_mu;
int g_claimed ABSL_GUARDED_BY(g_claim_mu) = 0;

thread_local const char* tl_who = "main";
thread_local Record* tl_record = nullptr;
std::atomic<bool> g_trace{false};

// The record named `who`, or a fresh one; nullptr if none is left.
Record* Claim(const char* who) {
  absl::MutexLock lock(&g_claim_mu);
  for (int i = 0; i < g_claimed; ++i) {
    absl::MutexLock record_lock(&g_records[i].mu);
    if (g_records[i].who == who) return &g_records[i];
  }
  if (g_claimed == kThreads) return nullptr;
  Record* r = &g_records[g_claimed++];
  absl::MutexLock record_lock(&r->mu);
  r->who = who;
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
  uint64_t seq = 0;
  const std::string text = absl::CHexEscape(what.substr(0, 200));
  if (Record* r = tl_record) {
    absl::MutexLock lock(&r->mu);
    seq = ++r->seq;
    r->when[seq % kKept] = absl::Now();
    r->what[seq % kKept] = text;
  }
  if (!g_trace.load(std::memory_order_relaxed)) return;
  const std::string line = absl::StrCat("# T ", tl_who, "#", seq, " ",
                                        text, "\n");
  fputs(line.c_str(), stdout);
  fflush(stdout);
}

std::string RecentOperations() {
  int claimed;
  {
    absl::MutexLock lock(&g_claim_mu);
    claimed = g_claimed;
  }
  const absl::Time now = absl::Now();
  std::string out;
  for (int i = 0; i < claimed; ++i) {
    Record& r = g_records[i];
    absl::MutexLock lock(&r.mu);
    absl::StrAppend(&out, "# ", r.who, ": ", r.seq, " operations, the last:\n");
    const uint64_t first = r.seq >= kKept ? r.seq - kKept + 1 : 1;
    for (uint64_t s = first; s <= r.seq; ++s) {
      absl::StrAppendFormat(&out, "#   #%u %.3f s ago: %s\n", s,
                            absl::ToDoubleSeconds(now - r.when[s % kKept]),
                            r.what[s % kKept]);
    }
  }
  return out;
}

}  // namespace ghost::fuzz
