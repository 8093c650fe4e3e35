#include "lib/abi/ghost_run.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "absl/strings/str_cat.h"
#include "lib/abi/privilege.h"
#include "lib/abi/raw_ops.h"
#include "lib/util/errno_status.h"

namespace ghost {

absl::Status GhostRunStatus(unsigned int op, int err, absl::string_view what) {
  switch (err) {
    case 0:
      return absl::OkStatus();
    case ENOSYS:
      return ErrnoStatus(err, what,
                         " (this kernel has no ghost_run(): boot a ghost "
                         "kernel, e.g. `tools/ghost lab shell`)");
    case EPERM:
      return ErrnoStatus(err, what, GhostRunPermissionHint(op, err));
    case ENODEV:
      return ErrnoStatus(err, what, " (the enclave is being destroyed)");
    default:
      return ErrnoStatus(err, what);
  }
}

absl::StatusOr<long> GhostRun(unsigned int op, void* arg, unsigned int size,
                              absl::string_view what) {
  const long ret = raw::GhostRun(op, arg, size);
  if (ret >= 0) return ret;
  return GhostRunStatus(op, static_cast<int>(-ret), what);
}

absl::StatusOr<uint64_t> GetGtid(pid_t tid) {
  ghost_gtid_args args = {.tid = tid};
  absl::StatusOr<long> ret = GhostRun(GHOST_OP_GET_GTID, &args, sizeof(args),
                                      absl::StrCat("gtid of thread ", tid));
  if (!ret.ok()) return ret.status();
  return args.gtid;
}

absl::StatusOr<StatusWordLocation> FindStatusWord(int enclave_fd,
                                                  uint64_t gtid) {
  ghost_sw_args args = {.enclave_fd = enclave_fd, .gtid = gtid};
  absl::StatusOr<long> ret =
      GhostRun(GHOST_OP_SW_INFO, &args, sizeof(args),
               absl::StrCat("status word of gtid ", gtid));
  if (!ret.ok()) return ret.status();
  return StatusWordLocation{args.region, args.index};
}

absl::StatusOr<bool> EnclaveDestroyed(int enclave_fd) {
  // No thread has gtid 0: the look-up fails, ENODEV first if the enclave
  // is going or gone, else ENOENT.
  ghost_sw_args args = {.enclave_fd = enclave_fd, .gtid = 0};
  const long ret = raw::GhostRun(GHOST_OP_SW_INFO, &args, sizeof(args));
  if (ret >= 0) return false;
  const int err = static_cast<int>(-ret);
  if (err == ENODEV) return true;
  if (err == ENOENT) return false;
  return ErrnoStatus(err, "is the enclave alive? (status word look-up)");
}

absl::Status FreeStatusWord(int enclave_fd, StatusWordLocation where) {
  return GhostRunStatus(
      GHOST_OP_SW_FREE,
      raw::FreeStatusWord(enclave_fd, where.region, where.index),
      absl::StrCat("free status word ", where.region, "/", where.index));
}

absl::StatusOr<Fd> OpenEnclaveDir(const std::string& dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("open ", dir));
  return Fd(fd);
}

absl::StatusOr<uint32_t> AttachAgent(int enclave_fd, int cpu) {
  ghost_agent_attach_args args = {.enclave_fd = enclave_fd, .cpu = cpu};
  absl::StatusOr<long> ret =
      GhostRun(GHOST_OP_AGENT_ATTACH, &args, sizeof(args),
               absl::StrCat("become the agent of CPU ", cpu));
  if (!ret.ok()) return ret.status();
  return args.sw_index;
}

absl::StatusOr<int> Commit(const int* cpus, uint32_t nr_cpus, uint32_t flags,
                           uint32_t agent_barrier) {
  const int ret = raw::Commit(cpus, nr_cpus, flags, agent_barrier);
  if (ret >= 0) return ret;
  return GhostRunStatus(GHOST_OP_COMMIT, -ret, "commit");
}

absl::Status BlockAgent(uint32_t agent_barrier) {
  const int err = raw::BlockAgent(agent_barrier);
  if (err == 0) return absl::OkStatus();
  if (err == ESTALE) {
    return absl::FailedPreconditionError("agent barrier is stale");
  }
  return ErrnoStatus(err, "agent block");
}

absl::Status PingAgent(int cpu) {
  return GhostRunStatus(GHOST_OP_AGENT_PING, raw::PingAgent(cpu),
                        absl::StrCat("ping the agent of CPU ", cpu));
}

}  // namespace ghost
