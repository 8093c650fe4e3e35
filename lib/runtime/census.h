// The census: what a policy believes about its threads (how many in each
// state, which run where, which are runnable yet on no run queue: lost
// threads) and its message and commit counters, as one line. An agent
// prints it when it stops, for the log of a run that went wrong. Not for
// the hot path: it walks the task table and allocates.
#ifndef GHOST_LIB_RUNTIME_CENSUS_H_
#define GHOST_LIB_RUNTIME_CENSUS_H_

#include <string>

#include "lib/agent/policy.h"

namespace ghost {

// "12 tasks (3 blocked, 4 runnable, 5 running, 4 queued); messages ...".
std::string Census(Policy& policy);

// " TARGET_STALE=3 CPU_NOT_ALLOWED=1", or " none".
std::string FailedCommits(const TxnCounters& txns);

// The agent's last words' totals: "N commits completed, M failed, K
// messages", then the policy's own counters, if it has any, as
// " (slice_preemptions=3 lent=1)": what a benchmark run wants to know
// after the fact.
std::string StopTotals(const TxnCounters& txns, uint64_t messages,
                       const Policy::Counters& own);

}  // namespace ghost

#endif  // GHOST_LIB_RUNTIME_CENSUS_H_
