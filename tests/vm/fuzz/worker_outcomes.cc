#include "tests/vm/fuzz/worker_outcomes.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ghost::fuzz {
namespace {

// The ledger's kind of each call and what the ABI allows it.
struct CallRule {
  const char* kind;
  Allowed allowed;
};

const CallRule& RuleOf(int call) {
  static const CallRule rules[] = {
      {"worker.affinity", {{EINVAL}, true}},
      {"worker.nice", {{}, true}},
      {"worker.child", {{}, true}},
  };
  return rules[call];
}

}  // namespace

void WorkerOutcomes::Note(WorkerCall call, bool ok, int err,
                          absl::string_view input) {
  Kind& k = kinds_[static_cast<int>(call)];
  if (ok) {
    k.ok.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const int e = std::clamp(err, 0, kErrnos - 1);
  k.failed[e].fetch_add(1, std::memory_order_relaxed);
  if (!k.has_input[e].exchange(true)) {
    const size_t n = std::min<size_t>(input.size(), kInputBytes - 1);
    memcpy(k.input[e], input.data(), n);
  }
}

void WorkerOutcomes::AddTo(FuzzLedger& ledger) const {
  for (int call = 0; call < static_cast<int>(WorkerCall::kCount); ++call) {
    const Kind& k = kinds_[call];
    const CallRule& rule = RuleOf(call);
    if (uint64_t n = k.ok.load()) {
      ledger.Record(rule.kind, true, 0, rule.allowed, "", n);
    }
    for (int e = 0; e < kErrnos; ++e) {
      if (uint64_t n = k.failed[e].load()) {
        ledger.Record(rule.kind, false, e, rule.allowed, k.input[e], n);
      }
    }
  }
}

}  // namespace ghost::fuzz
