// RegisterHints: hands an application's hint region to the agent of its
// enclave, over the agent's control socket (/run/ghost/enclave_<id>.sock,
// lib/runtime/control_protocol.h) with the memfd as SCM_RIGHTS. The agent
// checks the region before it answers: an error says what it refused
// (unsealed, malformed, a policy that reads no hints, no agent).
//
//   absl::StatusOr<std::unique_ptr<HintWriter>> w = HintWriter::Create(64);
//   absl::Status s = RegisterHints(**w, enclave_id);
//
// The control socket is root's (0600): registering needs root, like every
// other request to an agent.
#ifndef GHOST_LIB_HINTS_HINT_REGISTRATION_H_
#define GHOST_LIB_HINTS_HINT_REGISTRATION_H_

#include <string>

#include "absl/status/status.h"
#include "lib/hints/hint_writer.h"
#include "lib/runtime/control_protocol.h"

namespace ghost {

absl::Status RegisterHints(const HintWriter& writer, unsigned int enclave_id,
                           const std::string& control_dir = kControlDir);

}  // namespace ghost

#endif  // GHOST_LIB_HINTS_HINT_REGISTRATION_H_
