// The bench's side of the message tests (MessageAgent is the agent's):
// nice changes of the worker, asleep in the enclave all along, made from
// CPU 0 one at a time, each waited for until the agent has its message.
// When the agent blocks, each change waits for it to be asleep in
// ghost_run() first, so that the time measured includes its wakeup.
//
//   .driver = [rounds, limits](Shared& s, auto& w) {
//     return MessageDriver(/*spinning=*/false, rounds, limits, s, w);
//   }
#ifndef GHOST_EXPERIMENTS_MICROBENCH_MESSAGE_DRIVER_H_
#define GHOST_EXPERIMENTS_MICROBENCH_MESSAGE_DRIVER_H_

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "experiments/microbench/bench_limits.h"
#include "experiments/microbench/bench_shared.h"
#include "experiments/microbench/ghost_measurement.h"

namespace ghost::bench {

// `rounds` priority changes of workers[0]; every wait bounded by
// limits.wait_limit_ms.
absl::Status MessageDriver(bool spinning, int rounds, const BenchLimits& limits,
                           Shared& s,
                           std::vector<std::unique_ptr<Worker>>& workers);

}  // namespace ghost::bench

#endif  // GHOST_EXPERIMENTS_MICROBENCH_MESSAGE_DRIVER_H_
