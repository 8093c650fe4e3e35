// Google Benchmark of the agent hot path against the fake kernel, on one
// core: messages decoded and threads committed per second, and operator
// new calls in 1000 steps (must be 0).
//
//   bazel run -c opt //tests/host/bench:hot_path_bench
#include "benchmark/benchmark.h"
#include "tests/host/bench/allocation_counter.h"
#include "tests/host/bench/hot_path_loop.h"

namespace ghost::testing {
namespace {

template <typename Loop>
void RunHotPath(benchmark::State& state) {
  Loop loop(static_cast<int>(state.range(0)));
  loop.Step();
  // Allocations are counted over untimed steps: the benchmark framework
  // itself allocates when its timed loop starts and ends.
  const uint64_t allocations = AllocationCount();
  for (int i = 0; i < 1000; ++i) loop.Step();
  state.counters["allocs/1000steps"] =
      static_cast<double>(AllocationCount() - allocations);
  const uint64_t messages = loop.messages();
  const uint64_t commits = loop.commits();
  for (auto _ : state) loop.Step();
  state.counters["messages/s"] = benchmark::Counter(
      static_cast<double>(loop.messages() - messages),
      benchmark::Counter::kIsRate);
  state.counters["commits/s"] = benchmark::Counter(
      static_cast<double>(loop.commits() - commits),
      benchmark::Counter::kIsRate);
}

void BM_PerCpuFifo(benchmark::State& state) {
  RunHotPath<PerCpuHotPath>(state);
}
void BM_CentralizedFifo(benchmark::State& state) {
  RunHotPath<CentralizedHotPath>(state);
}

BENCHMARK(BM_PerCpuFifo)->Arg(8)->Arg(1000);
BENCHMARK(BM_CentralizedFifo)->Arg(8)->Arg(1000);

}  // namespace
}  // namespace ghost::testing

BENCHMARK_MAIN();
