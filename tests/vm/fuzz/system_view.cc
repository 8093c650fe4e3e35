#include "tests/vm/fuzz/system_view.h"

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/abi/enclave.h"
#include "lib/abi/ghostfs_mount.h"
#include "tests/vm/fuzz/layout.h"

namespace ghost::fuzz {

std::string EnclaveDir(unsigned int id) {
  return absl::StrCat(kMount, "/enclave_", id);
}

std::vector<unsigned int> LiveIds() {
  absl::StatusOr<std::vector<unsigned int>> ids = ListEnclaveIds(kMount);
  return ids.ok() ? *ids : std::vector<unsigned int>{};
}

bool ParseCpuList(absl::string_view text, std::vector<int>* cpus) {
  text = absl::StripAsciiWhitespace(text);
  if (text.empty()) return true;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    std::vector<absl::string_view> ends = absl::StrSplit(part, '-');
    int lo, hi;
    if (ends.size() > 2 || !absl::SimpleAtoi(ends[0], &lo) ||
        !absl::SimpleAtoi(ends.back(), &hi) || lo > hi) {
      return false;
    }
    for (int c = lo; c <= hi; ++c) cpus->push_back(c);
  }
  return true;
}

std::vector<int> EnclaveCpus(unsigned int id) {
  std::vector<int> cpus;
  absl::StatusOr<std::string> text =
      ReadGhostfsFile(EnclaveDir(id) + "/cpulist");
  if (text.ok()) ParseCpuList(*text, &cpus);
  return cpus;
}

bool Asleep(pid_t tid) {
  absl::StatusOr<std::string> stat =
      ReadGhostfsFile(absl::StrCat("/proc/", tid, "/stat"));
  return stat.ok() && stat->find(") S ") != std::string::npos;
}

std::vector<pid_t> KernelThreads() {
  std::vector<pid_t> out = {2};
  for (pid_t pid = 3; pid < 200 && out.size() < 16; ++pid) {
    absl::StatusOr<std::string> stat =
        ReadGhostfsFile(absl::StrCat("/proc/", pid, "/stat"));
    if (!stat.ok()) continue;
    const size_t paren = stat->rfind(')');
    std::vector<absl::string_view> f =
        absl::StrSplit(absl::string_view(*stat).substr(paren + 2), ' ');
    if (f.size() > 1 && f[1] == "2") out.push_back(pid);
  }
  return out;
}

std::string CpuOnlinePath(int cpu) {
  return absl::StrCat("/sys/devices/system/cpu/cpu", cpu, "/online");
}

}  // namespace ghost::fuzz
