// PolicyRegistry: the scheduling policies an agent program can run, by
// name, so that one program serves them all (`ghost_agent --policy=NAME`).
// The list itself is schedulers/policies.cc: one line per policy.
//
//   PolicyRegistry registry({{"tiny_fifo", "one CPU, FIFO",
//                             &TinyFifoScheduler::Make}});
//   absl::StatusOr<const PolicyInfo*> p = registry.Find("tiny_fifo");
//   absl::StatusOr<std::unique_ptr<Policy>> policy = (*p)->make(kernel, args);
#ifndef GHOST_LIB_RUNTIME_POLICY_REGISTRY_H_
#define GHOST_LIB_RUNTIME_POLICY_REGISTRY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/agent/policy.h"

namespace ghost {

struct PolicyInfo {
  std::string name;     // what --policy= says: lowercase, no spaces
  std::string summary;  // one line, for --help and `ghostctl agent`
  PolicyFactory make = nullptr;
};

class PolicyRegistry {
 public:
  // Names must be unique and non-empty, factories non-null (a program
  // error, checked here once).
  explicit PolicyRegistry(std::vector<PolicyInfo> policies);

  // The policy called `name`; NotFound names the ones there are.
  absl::StatusOr<const PolicyInfo*> Find(absl::string_view name) const;

  // "fifo_percpu|fifo_centralized|tiny_fifo", in registration order.
  std::string Names() const;

  // One "  name  summary" line per policy, for --help.
  std::string Help() const;

  const std::vector<PolicyInfo>& policies() const { return policies_; }

 private:
  std::vector<PolicyInfo> policies_;
};

}  // namespace ghost

#endif  // GHOST_LIB_RUNTIME_POLICY_REGISTRY_H_
