// An enclave's `status` and `stats` files (docs/abi.md "Enclaves"), parsed,
// and its optional files (tunables a newer kernel may add).
//
//   absl::StatusOr<ghost::EnclaveStats> s = ghost::ReadEnclaveStats(e);
//   for (const auto& [name, value] : *s) ...   // "txn_complete", 12
//
// Parsing is separate from reading so that it can be tested on the host.
#ifndef GHOST_LIB_ABI_ENCLAVE_STATS_H_
#define GHOST_LIB_ABI_ENCLAVE_STATS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/abi/enclave.h"

namespace ghost {

// The `status` file: "id N", "cpus LIST", "tasks N", "state live|dying",
// and, from ABI 2, "agents N". Lines with other names are ignored (a newer
// kernel may add some).
struct EnclaveStatus {
  unsigned int id = 0;
  std::string cpus;        // as the kernel prints it: "1-3,5", "" for none
  unsigned int tasks = 0;  // members, agents included
  std::string state;
  std::optional<unsigned int> agents;  // if the kernel reports it
};

// The `stats` counters, in the order of the file.
using EnclaveStats = std::vector<std::pair<std::string, int64_t>>;

absl::StatusOr<EnclaveStatus> ParseEnclaveStatus(absl::string_view text);
absl::StatusOr<EnclaveStats> ParseEnclaveStats(absl::string_view text);

// The value of counter `name`, or nullopt.
std::optional<int64_t> FindStat(const EnclaveStats& stats,
                                absl::string_view name);

absl::StatusOr<EnclaveStatus> ReadEnclaveStatus(const Enclave& enclave);
absl::StatusOr<EnclaveStats> ReadEnclaveStats(const Enclave& enclave);

// The trimmed contents of file `name` of the enclave, or nullopt if the
// kernel has no such file (e.g. `agent_online`, `runnable_timeout`).
absl::StatusOr<std::optional<std::string>> ReadOptionalEnclaveFile(
    const Enclave& enclave, absl::string_view name);

}  // namespace ghost

#endif  // GHOST_LIB_ABI_ENCLAVE_STATS_H_
