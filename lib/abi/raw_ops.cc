#include "lib/abi/raw_ops.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "lib/uapi/linux/ghost.h"

namespace ghost::raw {

namespace {

// 0 or the errno of a call that returns 0 on success.
int Errno(long ret) { return ret < 0 ? static_cast<int>(-ret) : 0; }

}  // namespace

long GhostRun(unsigned int op, void* arg, unsigned int size) {
  const long ret = syscall(__NR_ghost_run, op, arg, size);
  return ret >= 0 ? ret : -errno;
}

int Commit(const int* cpus, uint32_t nr_cpus, uint32_t flags,
           uint32_t agent_barrier) {
  ghost_commit_args args = {
      .cpus = reinterpret_cast<uint64_t>(cpus),
      .nr_cpus = nr_cpus,
      .flags = flags,
      .agent_barrier = agent_barrier,
  };
  return static_cast<int>(GhostRun(GHOST_OP_COMMIT, &args, sizeof(args)));
}

int BlockAgent(uint32_t agent_barrier) {
  ghost_agent_block_args args = {.agent_barrier = agent_barrier};
  return Errno(GhostRun(GHOST_OP_AGENT_BLOCK, &args, sizeof(args)));
}

int PingAgent(int cpu) {
  ghost_agent_ping_args args = {.cpu = cpu};
  return Errno(GhostRun(GHOST_OP_AGENT_PING, &args, sizeof(args)));
}

int FreeStatusWord(int enclave_fd, uint32_t region, uint32_t index) {
  ghost_sw_args args = {
      .enclave_fd = enclave_fd, .region = region, .index = index};
  return Errno(GhostRun(GHOST_OP_SW_FREE, &args, sizeof(args)));
}

int AssociateQueue(int queue_fd, uint64_t gtid, uint32_t barrier) {
  ghost_assoc_queue_args args = {
      .queue_fd = queue_fd, .barrier = barrier, .gtid = gtid};
  return Errno(GhostRun(GHOST_OP_ASSOC_QUEUE, &args, sizeof(args)));
}

int AssociateCpuQueue(int queue_fd, int cpu) {
  ghost_assoc_cpu_queue_args args = {.queue_fd = queue_fd, .cpu = cpu};
  return Errno(GhostRun(GHOST_OP_ASSOC_CPU_QUEUE, &args, sizeof(args)));
}

}  // namespace ghost::raw
