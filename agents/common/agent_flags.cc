#include "agents/common/agent_flags.h"

#include <optional>

#include "absl/flags/flag.h"
#include "absl/time/time.h"
#include "lib/uapi/linux/ghost.h"

ABSL_FLAG(int, enclave, -1,
          "The enclave id. Without --cpus it must exist; with --cpus it is "
          "created (default: the lowest free id).");
ABSL_FLAG(std::string, cpus, "",
          "Create the enclave with these CPUs (a list like 1-3,5).");
ABSL_FLAG(std::string, on_exit, "",
          "destroy or keep the enclave on SIGINT/SIGTERM or ghostctl agent "
          "stop (default: destroy one this agent created, keep one it "
          "attached to)");
ABSL_FLAG(bool, takeover, true,
          "Take over from another agent_fifo or ghost_agent running the "
          "enclave.");
ABSL_FLAG(std::optional<absl::Duration>, slice, std::nullopt,
          "preempt a thread that has run this long while others wait (0: "
          "never; unset: the policy's default, 4ms for the FIFO policies)");
ABSL_FLAG(absl::Duration, attach_timeout, absl::Seconds(10),
          "How long to wait for CPUs that still have an agent.");
ABSL_FLAG(std::string, sysfs, "/sys", "Where sysfs is (for the topology).");
ABSL_FLAG(std::string, ghostfs, GHOSTFS_MOUNT_POINT, "Where ghostfs is.");
ABSL_FLAG(std::string, control_dir, ghost::kControlDir,
          "Serve ghostctl agent on DIR/enclave_<id>.sock ('' : not at all).");

namespace ghost {

AgentOptions AgentOptionsFromFlags(const std::string& program,
                                   const std::string& policy) {
  return AgentOptions{
      .program = program,
      .policy = policy,
      .enclave = {.id = absl::GetFlag(FLAGS_enclave),
                  .cpus = absl::GetFlag(FLAGS_cpus),
                  .ghostfs = absl::GetFlag(FLAGS_ghostfs)},
      .on_exit = absl::GetFlag(FLAGS_on_exit),
      .takeover = absl::GetFlag(FLAGS_takeover),
      .slice = absl::GetFlag(FLAGS_slice),
      .attach_timeout = absl::GetFlag(FLAGS_attach_timeout),
      .sysfs = absl::GetFlag(FLAGS_sysfs),
      .control_dir = absl::GetFlag(FLAGS_control_dir),
  };
}

}  // namespace ghost
