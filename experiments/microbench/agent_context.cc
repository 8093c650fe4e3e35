#include "experiments/microbench/agent_context.h"

#include <unistd.h>

#include "lib/abi/cpu_data_region.h"
#include "lib/abi/ghost_run.h"

namespace ghost::bench {

absl::Status AgentContext::Check() {
  if (shared_->stop.load(std::memory_order_relaxed)) {
    return absl::CancelledError("the bench told the agent to stop");
  }
  const uint64_t now = NowNs();
  if (now > deadline_) {
    return absl::DeadlineExceededError(
        absl::StrCat("the measurement did not finish within ",
                     limits_.measurement_limit_s, " s"));
  }
  if (now > last_enclave_check_ + 50000000) {
    last_enclave_check_ = now;
    if (access(lab_.enclave->dir().c_str(), F_OK) != 0) {
      return absl::AbortedError(absl::StrCat(
          "the enclave was destroyed under the agent (", DestroyedReason(lab_), ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status AgentContext::Block(uint32_t barrier) {
  At(kBlocked);
  absl::Status s = BlockAgent(barrier);
  // OK: woken; FailedPrecondition: a stale barrier; Unavailable: EINTR
  // (the bench's nudge). EINVAL or EPERM: not an agent any more.
  if (s.ok() || s.code() == absl::StatusCode::kFailedPrecondition ||
      s.code() == absl::StatusCode::kUnavailable) {
    return Check();
  }
  return absl::AbortedError(absl::StrCat(
      "the agent is not an agent any more (", s.message(),
      "): the enclave was destroyed or the agent detached; ", DestroyedReason(lab_)));
}

void AgentContext::CountResult(int32_t result) {
  if (result >= GHOST_TXN_COMPLETE &&
      result < GHOST_TXN_COMPLETE + GHOST_TXN_NR_RESULTS) {
    shared_->results[result - GHOST_TXN_COMPLETE].fetch_add(1);
  }
}

absl::Status AgentContext::Failed(int32_t result, int* consecutive) {
  if (result == GHOST_TXN_NO_AGENT) {
    return absl::AbortedError(
        "a commit found no agent (NO_AGENT): this agent was detached");
  }
  if (++*consecutive >= kMaxConsecutiveFailures) {
    return absl::AbortedError(
        absl::StrCat(*consecutive, " commits in a row failed, the last with ",
                     TxnResultName(result)));
  }
  return absl::OkStatus();
}

void AgentContext::Sample(uint64_t a, uint64_t b) {
  Shared& s = *shared_;
  if (s.nr_samples < kMaxSamples) {
    s.a[s.nr_samples] = a;
    s.b[s.nr_samples] = b;
    ++s.nr_samples;
  }
  s.round.store(s.nr_samples, std::memory_order_relaxed);
}

void AgentContext::DrainQueue() {
  ghost_msg m;
  while (lab_.queue->ring().Pop(&m)) {
  }
}

}  // namespace ghost::bench
