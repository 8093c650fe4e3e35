#include "experiments/workloads/oversubscription.h"

namespace ghost::workloads {

namespace {

// One unit: a dependent chain of multiplications the compiler cannot fold
// away (the result is kept), about 10 us of TCG time.
uint64_t Unit(uint64_t x) {
  for (int i = 0; i < 20000; ++i) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
  return x;
}

}  // namespace

absl::Status Compute(int64_t ops, std::atomic<int64_t>& done) {
  uint64_t x = 1;
  for (int64_t i = 0; i < ops; ++i) {
    x = Unit(x);
    done.fetch_add(1, std::memory_order_relaxed);
  }
  // Keeps x alive without printing it.
  asm volatile("" : : "r"(x));
  return absl::OkStatus();
}

}  // namespace ghost::workloads
