#include "tools/ghostctl/ghostfs_session.h"

#include <sys/stat.h>

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/abi/abi_version.h"
#include "lib/abi/ghostfs_mount.h"
#include "tools/ghostctl/cpulist.h"

namespace ghost::ctl {

absl::Status MountGhostfs(const std::string& mount_point) {
  struct stat st;
  if (stat(mount_point.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        mount_point,
        " does not exist: this kernel has no ghost support. "
        "Boot a kernel built from kernel-patches/ (or use the lab: "
        "tools/ghost lab shell), then: mount -t ghost none ",
        mount_point));
  }
  absl::Status s = EnsureGhostfsMounted(mount_point);
  if (s.ok()) return s;
  return absl::Status(
      s.code(), absl::StrCat("ghostfs is not mounted at ", mount_point,
                             " and ghostctl could not mount it: ", s.message(),
                             ". As root: mount -t ghost none ", mount_point));
}

absl::Status PrepareGhostfs(const std::string& mount_point) {
  if (absl::Status s = MountGhostfs(mount_point); !s.ok()) return s;
  return CheckKernelAbiVersion(mount_point);
}

bool ParseEnclaveId(absl::string_view text, unsigned int* id) {
  return !text.empty() && text.size() <= 10 &&
         std::all_of(text.begin(), text.end(), absl::ascii_isdigit) &&
         absl::SimpleAtoi(text, id);
}

bool ParsePid(absl::string_view text, pid_t* pid) {
  return !text.empty() && text.size() <= 10 &&
         std::all_of(text.begin(), text.end(), absl::ascii_isdigit) &&
         absl::SimpleAtoi(text, pid) && *pid > 0;
}

std::optional<std::string> DestroyReason(const std::string& mount_point,
                                         unsigned int id) {
  absl::StatusOr<std::string> text =
      ReadGhostfsFile(mount_point + "/destroyed");
  if (!text.ok()) return std::nullopt;
  std::optional<std::string> reason;
  const std::string prefix = absl::StrCat(id, " ");
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    if (absl::ConsumePrefix(&line, prefix)) reason = std::string(line);
  }
  return reason;
}

absl::StatusOr<Enclave> OpenEnclave(const std::string& mount_point,
                                    unsigned int id) {
  Enclave e(id, mount_point);
  struct stat st;
  if (stat(e.dir().c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return e;
  std::string why;
  if (std::optional<std::string> reason = DestroyReason(mount_point, id)) {
    why =
        absl::StrCat("; an enclave ", id, " was destroyed earlier: ", *reason);
  }
  return absl::NotFoundError(absl::StrCat("no enclave ", id, " (no ", e.dir(),
                                          ")", why,
                                          ". The existing ones: ghostctl "
                                          "enclave list"));
}

namespace {

absl::StatusOr<std::vector<int>> OnlineCpus() {
  absl::StatusOr<std::string> text =
      ReadGhostfsFile("/sys/devices/system/cpu/online");
  if (!text.ok()) return text.status();
  return ParseCpuList(*text);
}

// The CPUs of every enclave but `id`.
absl::StatusOr<std::map<unsigned int, std::vector<int>>> OtherEnclaveCpus(
    const std::string& mount_point, unsigned int id) {
  absl::StatusOr<std::vector<unsigned int>> ids = ListEnclaveIds(mount_point);
  if (!ids.ok()) return ids.status();
  std::map<unsigned int, std::vector<int>> others;
  for (unsigned int other : *ids) {
    if (other == id) continue;
    absl::StatusOr<std::string> list = Enclave(other, mount_point).Cpus();
    if (!list.ok()) continue;  // destroyed meanwhile
    absl::StatusOr<std::vector<int>> cpus = ParseCpuList(*list);
    if (cpus.ok()) others[other] = *cpus;
  }
  return others;
}

}  // namespace

absl::StatusOr<std::string> CheckCpusFor(const std::string& mount_point,
                                         unsigned int id,
                                         absl::string_view cpulist) {
  absl::StatusOr<std::vector<int>> wanted = ParseCpuList(cpulist);
  if (!wanted.ok()) return wanted.status();
  absl::StatusOr<std::vector<int>> online = OnlineCpus();
  absl::StatusOr<std::map<unsigned int, std::vector<int>>> others =
      OtherEnclaveCpus(mount_point, id);
  // Without either, the kernel's own check still applies.
  if (online.ok() && others.ok()) {
    absl::Status s = CheckCpuAssignment(id, *wanted, *online, *others);
    if (!s.ok()) return s;
  }
  return FormatCpuList(*wanted);
}

}  // namespace ghost::ctl
