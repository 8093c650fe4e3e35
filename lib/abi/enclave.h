// An enclave seen from userspace: a directory in ghostfs that owns a set of
// CPUs and the ghost threads scheduled on them.
//
//   absl::StatusOr<ghost::Enclave> e = ghost::Enclave::Create(1);
//   if (!e.ok()) { ... }                 // e.g. "ctl: create 1: File exists"
//   e->SetCpus("1-2");
//   e->AddTask(tid);                     // the thread becomes SCHED_GHOST
//   e->Destroy();                        // its threads go back to CFS
//
// Every error is a Status whose code maps the errno and whose message says
// which file and which request failed.
#ifndef GHOST_LIB_ABI_ENCLAVE_H_
#define GHOST_LIB_ABI_ENCLAVE_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ghost {

class Enclave {
 public:
  // Creates enclave_<id> through the ghostfs at `mount_point`.
  static absl::StatusOr<Enclave> Create(unsigned int id,
                                        const std::string& mount_point);
  static absl::StatusOr<Enclave> Create(unsigned int id);

  // An existing enclave (no check that it exists).
  Enclave(unsigned int id, std::string mount_point);

  unsigned int id() const { return id_; }
  const std::string& dir() const { return dir_; }
  const std::string& mount_point() const { return mount_point_; }

  // Destroys the enclave through its own ctl file.
  absl::Status Destroy();

  // Reads and writes the CPU list ("0-2,5"; "" releases every CPU).
  absl::StatusOr<std::string> Cpus() const;
  absl::Status SetCpus(absl::string_view cpulist);

  // Moves thread `tid` in; lists the tids of the enclave's threads.
  absl::Status AddTask(pid_t tid);
  absl::StatusOr<std::vector<pid_t>> Tasks() const;

  // The human-readable status file.
  absl::StatusOr<std::string> StatusText() const;

 private:
  unsigned int id_;
  std::string mount_point_;
  std::string dir_;
};

// The ids of the enclaves under the ghostfs at `mount_point`, ascending.
absl::StatusOr<std::vector<unsigned int>> ListEnclaveIds(
    const std::string& mount_point);

// Writes `text` to `path` in one write(2); the errno becomes the Status.
absl::Status WriteGhostfsFile(const std::string& path, absl::string_view text);

// Reads a whole ghostfs file.
absl::StatusOr<std::string> ReadGhostfsFile(const std::string& path);

// The newest line of `mount_point`/destroyed ("<id> <reason>"), or "" if
// nothing was destroyed yet or the file cannot be read.
std::string LastDestroyed(const std::string& mount_point);

// Why enclave `id` was destroyed: the reason of the newest line about it in
// the text of a `destroyed` file ("<id> <reason>" per line, oldest first),
// or nullopt if no line is about it.
std::optional<std::string> FindDestroyedReason(absl::string_view destroyed,
                                               unsigned int id);

// The same, read from `mount_point`/destroyed. The kernel writes the line
// before it moves the enclave's threads out, so an agent that noticed it
// is no longer an agent finds it. Words instead of a reason when there is
// none (more than 16 enclaves were destroyed since) or the file cannot be
// read, so the result is always fit to show.
std::string DestroyedReason(const std::string& mount_point, unsigned int id);

}  // namespace ghost

#endif  // GHOST_LIB_ABI_ENCLAVE_H_
