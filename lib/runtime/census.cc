#include "lib/runtime/census.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/abi/cpu_data_region.h"

namespace ghost {

std::string FailedCommits(const TxnCounters& txns) {
  std::string failures;
  for (int32_t r = GHOST_TXN_COMPLETE + 1;
       r < static_cast<int32_t>(txns.by_result.size()); ++r) {
    if (uint64_t n = txns.by_result[r].load()) {
      absl::StrAppend(&failures, " ", TxnResultName(r), "=", n);
    }
  }
  return failures.empty() ? " none" : failures;
}

std::string StopTotals(const TxnCounters& txns, uint64_t messages,
                       const Policy::Counters& own) {
  std::string out =
      absl::StrFormat("%d commits completed, %d failed, %d messages",
                      txns.completed(), txns.failed(), messages);
  if (own.empty()) return out;
  absl::StrAppend(&out, " (");
  for (size_t i = 0; i < own.size(); ++i) {
    absl::StrAppend(&out, i ? " " : "", own[i].first, "=", own[i].second);
  }
  absl::StrAppend(&out, ")");
  return out;
}

std::string Census(Policy& policy) {
  int by_state[6] = {};
  int queued = 0;
  std::string running;   // which threads it believes run where
  std::string blocked;   // which it believes asleep
  std::string unqueued;  // runnable, yet on no run queue: a lost thread
  policy.tasks().ForEachTask([&](Task* t) {
    by_state[static_cast<int>(t->state)]++;
    const bool on_queue = policy.Queued(*t);
    if (on_queue) ++queued;
    if (t->state == TaskState::kRunning) {
      absl::StrAppend(&running, " ", t->sw_index, "@", t->cpu);
    } else if (t->state == TaskState::kBlocked) {
      absl::StrAppend(&blocked, " ", t->sw_index);
    } else if (t->state == TaskState::kRunnable && !on_queue) {
      absl::StrAppend(&unqueued, " ", t->sw_index);
    }
  });
  const Scheduler::Stats& st = policy.stats();
  return absl::StrFormat(
      "%d tasks (%d blocked, %d runnable, %d running, %d queued); messages "
      "%d, stale %d, gaps %d, illegal %d, adopted %d, resyncs %d; failed "
      "commits:%s; running (word@cpu):%s; blocked (word):%s; runnable but "
      "not queued (word):%s",
      policy.tasks().live(), by_state[1], by_state[2], by_state[3], queued,
      st.messages.load(), st.stale.load(), st.gaps.load(), st.illegal.load(),
      st.adopted.load(), st.resyncs.load(), FailedCommits(policy.txns()),
      running, blocked, unqueued);
}

}  // namespace ghost
