// EnclaveSnapshot: everything ghostctl shows about one enclave at one
// moment, read from its ghostfs files (status, stats, tasks, the optional
// agent_online and runnable_timeout) and its status words.
#ifndef GHOST_TOOLS_GHOSTCTL_ENCLAVE_SNAPSHOT_H_
#define GHOST_TOOLS_GHOSTCTL_ENCLAVE_SNAPSHOT_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/abi/enclave.h"
#include "lib/abi/enclave_stats.h"
#include "lib/util/json_writer.h"

namespace ghost::ctl {

struct EnclaveSnapshot {
  EnclaveStatus status;     // id, cpus, tasks (agents included), state
  EnclaveStats stats;       // msg_* and txn_* counters
  std::vector<pid_t> tids;  // the tasks file
  // From agent_online or the status file if the kernel has them, else from
  // the status words; nullopt when none can be read (the words need root).
  std::optional<int64_t> agents;
  // From the status words (threads, not agents): nullopt without them.
  std::optional<int64_t> runnable;
  std::optional<int64_t> on_cpu;
  // The watchdog timeout, from runnable_timeout if the kernel has it.
  std::optional<int64_t> runnable_timeout_ms;
  absl::Time time;

  // Members that are not agents, when the agent count is known.
  std::optional<int64_t> threads() const;
};

absl::StatusOr<EnclaveSnapshot> TakeSnapshot(const Enclave& enclave);

// The sum of the txn_* counters (every commit result), and of those that
// are failures (all but txn_complete).
int64_t CommitCount(const EnclaveStats& stats);
int64_t CommitFailures(const EnclaveStats& stats);

// Counters of `after` minus those of `before` (same names; a counter
// missing from `before` counts from 0).
EnclaveStats StatDeltas(const EnclaveStats& before, const EnclaveStats& after);

// The snapshot's fields as JSON object members (no braces), keys stable:
// id state cpus cpu_list tasks threads agents runnable on_cpu
// runnable_timeout_ms stats.
void WriteSnapshotFields(const EnclaveSnapshot& s, JsonWriter& w);

// `ghostctl enclave status` text.
std::string FormatSnapshot(const EnclaveSnapshot& s);

}  // namespace ghost::ctl

#endif  // GHOST_TOOLS_GHOSTCTL_ENCLAVE_SNAPSHOT_H_
