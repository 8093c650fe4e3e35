// Waiting on observable state, with a deadline, instead of sleeping.
//
// A VM test never sleeps a fixed time and hopes that something happened:
// it waits for the state that shows it (a status-word flag, a message, a
// counter, a thread blocked in the kernel) and fails when the deadline
// passes first. The deadline only bounds a hang; a test never relies on
// it passing.
//
//   ASSERT_TRUE(WaitFor([&] { return child.count() == 1; }));
//   ASSERT_TRUE(WaitUntilBlocked(tid)) << "the worker never blocked";
//   ASSERT_TRUE(WaitForWord(enclave.dir(), gtid, IsRunnable));
//
// The one exception is a check that something does *not* happen (a ghost
// thread does not run without an agent): no observation proves "never",
// so HoldsThroughout() watches for a window, and each caller says why no
// state could end the wait sooner.
#ifndef GHOST_TESTS_VM_WAIT_FOR_H_
#define GHOST_TESTS_VM_WAIT_FOR_H_

#include <sys/types.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lib/abi/enclave.h"
#include "lib/abi/status_word_region.h"

namespace ghost::testing {

// How long a wait may take before the test fails: generous, because the
// lab VM is emulated (TCG) and the host may be busy.
inline constexpr absl::Duration kWaitLimit = absl::Seconds(20);

// Polls `done` until it returns true (then true) or `limit` passes (then
// false). Polls often at first, then every 5 ms.
template <typename Predicate>
bool WaitFor(Predicate done, absl::Duration limit = kWaitLimit) {
  const absl::Time end = absl::Now() + limit;
  absl::Duration pause = absl::Microseconds(50);
  while (!done()) {
    if (absl::Now() >= end) return done();
    absl::SleepFor(pause);
    pause = std::min(pause * 2, absl::Milliseconds(5));
  }
  return true;
}

// Whether `holds` stays true for all of `window` (checked every
// millisecond). Only for negative checks; see the top of this file.
template <typename Predicate>
bool HoldsThroughout(Predicate holds, absl::Duration window) {
  const absl::Time end = absl::Now() + window;
  while (absl::Now() < end) {
    if (!holds()) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return holds();
}

// Whether thread `tid` (of any process) is blocked and off its CPU.
//
// /proc/<tid>/syscall waits until the thread has switched out, and says
// "running" unless it stayed blocked throughout. The state letter of
// /proc/<tid>/stat is not enough: it says S as soon as the thread sets its
// sleeping state, before it calls schedule(), while it still runs. A
// thread moved into ghost at that moment enters running (NEW with ON_CPU)
// and its next message is BLOCKED.
inline bool IsBlocked(pid_t tid) {
  absl::StatusOr<std::string> syscall =
      ReadGhostfsFile(absl::StrCat("/proc/", tid, "/syscall"));
  return syscall.ok() && !syscall->empty() &&
         !absl::StartsWith(*syscall, "running");
}

inline bool WaitUntilBlocked(pid_t tid, absl::Duration limit = kWaitLimit) {
  return WaitFor([tid] { return IsBlocked(tid); }, limit);
}

// The state letter of thread `tid` in /proc/<tid>/stat (R, S, D, T, Z...),
// or '?' if there is no such thread.
inline char ProcState(pid_t tid) {
  absl::StatusOr<std::string> stat =
      ReadGhostfsFile(absl::StrCat("/proc/", tid, "/stat"));
  if (!stat.ok()) return '?';
  const size_t paren = stat->rfind(')');
  return paren != std::string::npos && stat->size() > paren + 2
             ? (*stat)[paren + 2]
             : '?';
}

inline bool IsRunnable(const StatusWord& w) { return w.runnable(); }
inline bool IsOnCpu(const StatusWord& w) { return w.on_cpu(); }

// Waits until the status word of `gtid` in the enclave at `enclave_dir`
// satisfies `want` (e.g. IsRunnable). The word is what an agent sees.
template <typename WordPredicate>
bool WaitForWord(const std::string& enclave_dir, uint64_t gtid,
                 WordPredicate want, absl::Duration limit = kWaitLimit) {
  absl::StatusOr<StatusWordRegion> region = StatusWordRegion::Map(enclave_dir);
  if (!region.ok()) return false;
  return WaitFor(
      [&] {
        std::optional<StatusWord> w = region->Find(gtid);
        return w.has_value() && want(*w);
      },
      limit);
}

}  // namespace ghost::testing

#endif  // GHOST_TESTS_VM_WAIT_FOR_H_
