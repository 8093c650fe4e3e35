// FuzzLedger: checks every result of the ABI fuzzer against what
// docs/abi.md allows (an `Allowed`), counts it by kind and errno, and keeps
// each outcome the ABI does not allow as a finding, with its first input.
#ifndef GHOST_TESTS_VM_FUZZ_LEDGER_H_
#define GHOST_TESTS_VM_FUZZ_LEDGER_H_

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace ghost::fuzz {

// What docs/abi.md allows one operation to return.
struct Allowed {
  std::set<int> errnos;
  // False when the input is one the ABI says must be rejected.
  bool success = true;
};

inline std::string ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  return name ? name : absl::StrCat("errno ", err);
}

// Every operation the fuzzer runs goes through Record(): it counts the
// operation by kind and result, and turns an outcome the ABI does not allow
// into a finding. Thread-safe.
class FuzzLedger {
 public:
  // `ok`: the call succeeded; else `err` is its errno. `input` says what was
  // tried, for the report (only kept for findings). `times`: the same
  // outcome of that many calls (the worker process reports in bulk).
  void Record(const std::string& kind, bool ok, int err,
              const Allowed& allowed, absl::string_view input,
              uint64_t times = 1) {
    absl::MutexLock lock(&mu_);
    Counts& c = kinds_[kind];
    c.total += times;
    total_ += times;
    if (ok) {
      c.ok += times;
      if (!allowed.success) Find(kind, "succeeded", input, times);
      return;
    }
    c.errnos[err] += times;
    if (!allowed.errnos.count(err)) {
      c.unexpected += times;
      Find(kind, ErrnoName(err), input, times);
    }
  }

  // Counts `times` operations that have no errno (a write into a mapping).
  void Count(const std::string& kind, uint64_t times = 1) {
    absl::MutexLock lock(&mu_);
    kinds_[kind].total += times;
    kinds_[kind].ok += times;
    total_ += times;
  }

  // Something worth telling the lead that the ABI leaves open; not a
  // failure.
  void Note(const std::string& what, absl::string_view example) {
    absl::MutexLock lock(&mu_);
    auto [it, fresh] = notes_.try_emplace(
        what, 0, absl::CHexEscape(example.substr(0, 160)));
    ++it->second.first;
  }

  // A broken invariant seen by a check rather than by an errno.
  void Problem(const std::string& kind, const std::string& what,
               absl::string_view example) {
    absl::MutexLock lock(&mu_);
    Find(kind, what, example);
  }

  uint64_t total() const {
    absl::MutexLock lock(&mu_);
    return total_;
  }
  uint64_t count(const std::string& kind) const {
    absl::MutexLock lock(&mu_);
    auto it = kinds_.find(kind);
    return it == kinds_.end() ? 0 : it->second.total;
  }

  // One line per finding: kind, outcome, how often, the first input.
  std::vector<std::string> Findings() const {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> out;
    for (const auto& [key, f] : findings_) {
      out.push_back(absl::StrCat(key.first, ": ", key.second, " x", f.first,
                                 ", first on: ", f.second));
    }
    return out;
  }

  // The per-kind table: operations, successes, each errno seen, and how
  // many results the ABI does not allow.
  std::string Table() const {
    absl::MutexLock lock(&mu_);
    std::string out = absl::StrFormat("# %-28s %8s %8s %5s  %s\n", "kind",
                                      "ops", "ok", "bad", "errnos");
    for (const auto& [kind, c] : kinds_) {
      std::string errs;
      for (const auto& [err, n] : c.errnos) {
        absl::StrAppend(&errs, errs.empty() ? "" : " ", ErrnoName(err), ":",
                        n);
      }
      absl::StrAppendFormat(&out, "# %-28s %8u %8u %5u  %s\n", kind, c.total,
                            c.ok, c.unexpected, errs);
    }
    absl::StrAppendFormat(&out, "# %-28s %8u\n", "TOTAL", total_);
    for (const auto& [what, n] : notes_) {
      absl::StrAppend(&out, "# note: ", what, " x", n.first, " (e.g. ",
                      n.second, ")\n");
    }
    return out;
  }

 private:
  struct Counts {
    uint64_t total = 0;
    uint64_t ok = 0;
    uint64_t unexpected = 0;
    std::map<int, uint64_t> errnos;
  };

  void Find(const std::string& kind, const std::string& what,
            absl::string_view input, uint64_t times = 1)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto [it, fresh] = findings_.try_emplace(
        {kind, what}, 0, absl::CHexEscape(input.substr(0, 160)));
    it->second.first += times;
  }

  mutable absl::Mutex mu_;
  uint64_t total_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, Counts> kinds_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, std::string>,
           std::pair<uint64_t, std::string>>
      findings_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::pair<uint64_t, std::string>> notes_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace ghost::fuzz

#endif  // GHOST_TESTS_VM_FUZZ_LEDGER_H_
