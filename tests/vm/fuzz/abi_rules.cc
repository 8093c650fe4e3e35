#include "tests/vm/fuzz/abi_rules.h"

#include "lib/uapi/linux/ghost.h"

namespace ghost::fuzz {

std::set<int> Plus(std::set<int> a, std::initializer_list<int> b) {
  a.insert(b);
  return a;
}

const std::set<int>& RunCommon() {
  static const std::set<int> s = {EINVAL, EFAULT, EBADF, ENODEV, EPERM, E2BIG};
  return s;
}

std::set<int> RunErrnos(unsigned int op, uint32_t commit_flags) {
  switch (op) {
    case GHOST_OP_GET_GTID:
      return Plus(RunCommon(), {ESRCH});
    case GHOST_OP_SW_INFO:
      return Plus(RunCommon(), {ENOENT});
    case GHOST_OP_SW_FREE:
      return Plus(RunCommon(), {EBUSY, ENOENT});
    case GHOST_OP_ASSOC_QUEUE:
      return Plus(RunCommon(), {ESTALE, ENOENT});
    case GHOST_OP_AGENT_ATTACH:
      return Plus(RunCommon(), {EBUSY});
    case GHOST_OP_COMMIT:
      // With GHOST_COMMIT_F_BLOCK it blocks "as GHOST_OP_AGENT_BLOCK does".
      return (commit_flags & GHOST_COMMIT_F_BLOCK) ? Plus(RunCommon(), {EINTR})
                                                   : RunCommon();
    case GHOST_OP_AGENT_BLOCK:
      return Plus(RunCommon(), {ESTALE, EINTR});
    case GHOST_OP_AGENT_PING:
      return Plus(RunCommon(), {ENOENT});
    case GHOST_OP_CREATE_QUEUE:
    case GHOST_OP_CONFIG_QUEUE_WAKEUP:
    case GHOST_OP_ASSOC_CPU_QUEUE:
      return RunCommon();
    default:
      return {EINVAL};  // unknown op
  }
}

const char* OpName(unsigned int op) {
  static const char* const names[] = {
      "unknown",    "get_gtid",     "sw_info",      "sw_free",
      "create_queue", "assoc_queue", "queue_wakeup", "agent_attach",
      "commit",     "agent_block",  "agent_ping",   "assoc_cpu_queue"};
  return op < sizeof(names) / sizeof(names[0]) ? names[op] : "unknown";
}

}  // namespace ghost::fuzz
