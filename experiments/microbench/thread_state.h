// A thread's id and its scheduling state as /proc shows it. The bench
// times the wakeup of a thread that sleeps, not of one on its way to sleep
// (a cheaper, different path), and moves threads into an enclave only
// asleep; it waits for 'S' here first.
//
//   if (absl::Status s = WaitAsleep(tid, "the CFS wakee", 5000); !s.ok())
//     return s;
#ifndef GHOST_EXPERIMENTS_MICROBENCH_THREAD_STATE_H_
#define GHOST_EXPERIMENTS_MICROBENCH_THREAD_STATE_H_

#include <sys/types.h>

#include <string_view>

#include "absl/status/status.h"

namespace ghost::bench {

// The calling thread's id.
pid_t Gettid();

// The state letter in the text of a /proc/<pid>/stat file ('S', 'R', ...),
// or '?' if it has none. The name in parentheses may hold ") ", so the
// letter is the one after the last ") ".
char StatStateLetter(std::string_view stat);

// The state letter of thread `tid` of this process ('S' asleep, 'R'
// running), or '?' if it cannot be read.
char ThreadState(pid_t tid);

// Waits until thread `tid` sleeps, at most `limit_ms`; `who` names the
// thread in the error.
absl::Status WaitAsleep(pid_t tid, const char* who, int limit_ms);

}  // namespace ghost::bench

#endif  // GHOST_EXPERIMENTS_MICROBENCH_THREAD_STATE_H_
