#include "lib/runtime/policy_registry.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace ghost {

PolicyRegistry::PolicyRegistry(std::vector<PolicyInfo> policies)
    : policies_(std::move(policies)) {
  // A broken list is a program error: say which line and stop.
  for (size_t i = 0; i < policies_.size(); ++i) {
    const PolicyInfo& p = policies_[i];
    bool twice = false;
    for (size_t j = 0; j < i; ++j) twice |= policies_[j].name == p.name;
    if (p.name.empty() || p.make == nullptr || twice) {
      std::fprintf(stderr, "PolicyRegistry: entry %zu ('%s') %s\n", i,
                   p.name.c_str(),
                   twice ? "is registered twice" : "has no name or factory");
      std::abort();
    }
  }
}

absl::StatusOr<const PolicyInfo*> PolicyRegistry::Find(
    absl::string_view name) const {
  auto it = std::find_if(policies_.begin(), policies_.end(),
                         [&](const PolicyInfo& p) { return p.name == name; });
  if (it != policies_.end()) return &*it;
  return absl::NotFoundError(absl::StrCat("no policy called '", name,
                                          "': the policies are ", Names()));
}

std::string PolicyRegistry::Names() const {
  return absl::StrJoin(
      policies_, "|",
      [](std::string* out, const PolicyInfo& p) { out->append(p.name); });
}

std::string PolicyRegistry::Help() const {
  size_t width = 0;
  for (const PolicyInfo& p : policies_) width = std::max(width, p.name.size());
  std::string out;
  for (const PolicyInfo& p : policies_) {
    absl::StrAppendFormat(&out, "  %-*s  %s\n", static_cast<int>(width), p.name,
                          p.summary);
  }
  return out;
}

}  // namespace ghost
