// TxnCounters: a policy's commit results, counted by GHOST_TXN_* code, for
// its logs, the agent's census and `ghostctl agent status`. Counting is a
// relaxed atomic add: safe from any agent thread, on the hot path.
//
//   const int32_t result = CommitOne(kernel(), req);
//   txns_.Count(result);
//   ... txns_.completed(), txns_.failed()
#ifndef GHOST_LIB_AGENT_TXN_COUNTERS_H_
#define GHOST_LIB_AGENT_TXN_COUNTERS_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "lib/uapi/linux/ghost.h"

namespace ghost {

struct TxnCounters {
  std::array<std::atomic<uint64_t>, GHOST_TXN_COMPLETE + GHOST_TXN_NR_RESULTS>
      by_result{};
  std::atomic<uint64_t> calls{0};  // GHOST_OP_COMMIT calls

  void Count(int32_t result) {
    if (result >= 0 && result < static_cast<int32_t>(by_result.size())) {
      by_result[result].fetch_add(1, std::memory_order_relaxed);
    }
  }
  uint64_t completed() const {
    return by_result[GHOST_TXN_COMPLETE].load(std::memory_order_relaxed);
  }
  uint64_t failed() const {
    uint64_t n = 0;
    for (size_t r = GHOST_TXN_COMPLETE + 1; r < by_result.size(); ++r) {
      n += by_result[r].load(std::memory_order_relaxed);
    }
    return n;
  }
};

}  // namespace ghost

#endif  // GHOST_LIB_AGENT_TXN_COUNTERS_H_
