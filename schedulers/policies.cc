#include "schedulers/policies.h"

#include "schedulers/fifo/centralized/centralized_fifo_scheduler.h"
#include "schedulers/fifo/percpu/percpu_fifo_scheduler.h"
#include "schedulers/shinjuku/shinjuku_scheduler.h"
#include "schedulers/tiny_fifo/tiny_fifo_scheduler.h"

namespace ghost {

const PolicyRegistry& Policies() {
  static const PolicyRegistry* const registry = new PolicyRegistry({
      {"fifo_percpu", "a FIFO per CPU, idle CPUs steal the oldest thread",
       &fifo::PerCpuFifoScheduler::Make},
      {"fifo_centralized",
       "one global agent fills every other CPU (--slice preempts)",
       &fifo::CentralizedFifoScheduler::Make},
      {"shinjuku",
       "centralized, QoS classes, --slice preemption, application hints",
       &shinjuku::ShinjukuScheduler::Make},
      {"tiny_fifo", "the tutorial's FIFO, for a one-CPU enclave",
       &TinyFifoScheduler::Make},
  });
  return *registry;
}

}  // namespace ghost
