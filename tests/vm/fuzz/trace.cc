#include "tests/vm/fuzz/trace.h"

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace ghost::fuzz {
namespace {

thread_local const char* tl_who = "main";
thread_local uint64_t tl_seq = 0;
std::atomic<bool> g_trace{false};

}  // namespace

void EnableTrace(bool on) { g_trace.store(on); }

void SetTraceName(const char* who) { tl_who = who; }

void Trace(absl::string_view what) {
  ++tl_seq;
  if (!g_trace.load(std::memory_order_relaxed)) return;
  const std::string line = absl::StrCat("# T ", tl_who, "#", tl_seq, " ",
                                        absl::CHexEscape(what), "\n");
  fputs(line.c_str(), stdout);
  fflush(stdout);
}

}  // namespace ghost::fuzz
