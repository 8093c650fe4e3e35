// Building blocks of the ABI fuzzer (abi_fuzz_test.cc): a seeded random
// source, a ledger that checks every result against what docs/abi.md allows
// and counts it, and guarded access to kernfs mappings, so that a SIGBUS
// from one (docs/abi.md says they stay valid after their enclave is
// destroyed) is reported as a finding instead of killing the test.
#ifndef GHOST_TESTS_VM_FUZZ_SUPPORT_H_
#define GHOST_TESTS_VM_FUZZ_SUPPORT_H_

#include <setjmp.h>
#include <signal.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace ghost::testing {

// One deterministic stream per fuzzing thread: thread `stream` of seed S
// always makes the same choices, so a finding can be replayed from S (the
// interleaving between threads is the kernel's, not ours).
class FuzzRng {
 public:
  FuzzRng(uint64_t seed, uint64_t stream)
      : gen_(seed * 0x9e3779b97f4a7c15ULL + stream) {}

  uint64_t Next() { return gen_(); }
  // Uniform in [0, n); n > 0.
  uint64_t Below(uint64_t n) { return Next() % n; }
  // Uniform in [lo, hi].
  int64_t Range(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }
  bool OneIn(uint64_t n) { return Below(n) == 0; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Below(v.size())];
  }
  template <typename T>
  T Pick(std::initializer_list<T> l) {
    return *(l.begin() + Below(l.size()));
  }

  // A 32-bit value that is often on an edge: 0, 1, -1, sign bits, powers
  // of two and their neighbours, or anything.
  uint32_t Edgy32() {
    switch (Below(6)) {
      case 0:
        return Pick<uint32_t>({0, 1, 2, 0xffffffffu, 0x7fffffffu,
                               0x80000000u, 16, 4096, 65536, 65537});
      case 1: {
        const uint32_t p = 1u << Below(32);
        return p + static_cast<uint32_t>(Range(-1, 1));
      }
      case 2:
        return static_cast<uint32_t>(Below(8));
      default:
        return static_cast<uint32_t>(Next());
    }
  }
  uint64_t Edgy64() {
    if (OneIn(4)) return Next();
    if (OneIn(3)) return ~uint64_t{0} - Below(2);
    return Edgy32();
  }

 private:
  std::mt19937_64 gen_;
};

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
  // tried, for the report (only kept for findings).
  void Record(const std::string& kind, bool ok, int err,
              const Allowed& allowed, absl::string_view input) {
    absl::MutexLock lock(&mu_);
    Counts& c = kinds_[kind];
    ++c.total;
    ++total_;
    if (ok) {
      ++c.ok;
      if (!allowed.success) Find(kind, "succeeded", input);
      return;
    }
    ++c.errnos[err];
    if (!allowed.errnos.count(err)) {
      ++c.unexpected;
      Find(kind, ErrnoName(err), input);
    }
  }

  // Counts an operation that has no errno (a write into a mapping).
  void Count(const std::string& kind) {
    absl::MutexLock lock(&mu_);
    ++kinds_[kind].total;
    ++kinds_[kind].ok;
    ++total_;
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
            absl::string_view input) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto [it, fresh] = findings_.try_emplace(
        {kind, what}, 0, absl::CHexEscape(input.substr(0, 160)));
    ++it->second.first;
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

// Memory of a kernfs mapping (cpu_data, sw_0) must stay valid when another
// fuzzing thread destroys its enclave; if the kernel pulls it away anyway,
// the access faults with SIGBUS. GuardedAccess runs a plain load or store
// and reports whether it faulted.
// Only trivially destructible work may run inside: a fault jumps out.
namespace fuzz_internal {
inline thread_local sigjmp_buf* guard = nullptr;

inline void OnSigbus(int sig) {
  if (guard != nullptr) siglongjmp(*guard, 1);
  signal(sig, SIG_DFL);
  raise(sig);
}
}  // namespace fuzz_internal

inline void InstallSigbusGuard() {
  struct sigaction sa = {};
  sa.sa_handler = fuzz_internal::OnSigbus;
  sa.sa_flags = SA_NODEFER;
  sigaction(SIGBUS, &sa, nullptr);
}

// Returns false if `fn` faulted (the mapping is gone).
template <typename Fn>
bool GuardedAccess(Fn fn) {
  sigjmp_buf jb;
  if (sigsetjmp(jb, 1) != 0) {
    fuzz_internal::guard = nullptr;
    return false;
  }
  fuzz_internal::guard = &jb;
  fn();
  fuzz_internal::guard = nullptr;
  return true;
}

}  // namespace ghost::testing

#endif  // GHOST_TESTS_VM_FUZZ_SUPPORT_H_
