// What a thread of the experiment does to itself before it works: pin to a
// set of CPUs, take a nice value, or move into a ghost enclave (it then
// runs only when the enclave's agent latches it). Used by the RocksDB
// workers and by the antagonist's threads.
#ifndef GHOST_EXPERIMENTS_ROCKSDB_THREAD_SETUP_H_
#define GHOST_EXPERIMENTS_ROCKSDB_THREAD_SETUP_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace ghost::rocksdb_exp {

struct ThreadPlacement {
  std::vector<int> cpus;  // empty: leave the affinity alone
  int nice = 0;           // applied only if set_nice
  bool set_nice = false;
  int enclave = -1;  // >= 0: move into enclave_<id>
  // >= 0 (with an enclave): the thread's QoS class in the process's hint
  // region (lib/hints), which is handed to the enclave's agent first.
  int qos = -1;
};

// Applies `p` to the calling thread, in that order (affinity first, so a
// ghost thread is allowed on the enclave's CPUs when it moves in; its hint
// before it moves in, so the agent knows its class from its first message).
absl::Status PlaceThisThread(const ThreadPlacement& p);

pid_t ThisTid();

}  // namespace ghost::rocksdb_exp

#endif  // GHOST_EXPERIMENTS_ROCKSDB_THREAD_SETUP_H_
