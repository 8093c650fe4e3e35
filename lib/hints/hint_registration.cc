#include "lib/hints/hint_registration.h"

#include "absl/strings/str_cat.h"
#include "lib/runtime/control_client.h"

namespace ghost {

absl::Status RegisterHints(const HintWriter& writer, unsigned int enclave_id,
                           const std::string& control_dir) {
  absl::StatusOr<AgentReport> r =
      AskAgent(ControlSocketPath(control_dir, enclave_id),
               ControlRequest::kHints, absl::Seconds(3), writer.fd());
  if (!r.ok()) {
    return absl::Status(r.status().code(),
                        absl::StrCat("hand the hint region to the agent of "
                                     "enclave ",
                                     enclave_id, ": ", r.status().message()));
  }
  return absl::OkStatus();
}

}  // namespace ghost
