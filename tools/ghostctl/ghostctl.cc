// ghostctl: the user's command line for ghost.
//
//   ghostctl status     mount ghostfs if needed, show the kernel's and this
//                       program's ABI versions and the enclaves
//
// Later commands (create enclaves, move threads, run a command inside an
// enclave) build on the same library.
#include <dirent.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "lib/abi_version.h"
#include "lib/ghostfs_mount.h"
#include "lib/uapi/linux/ghost.h"

ABSL_FLAG(std::string, ghostfs, GHOSTFS_MOUNT_POINT,
          "Where ghostfs is (or gets) mounted.");

namespace ghost {
namespace {

std::vector<std::string> Enclaves(const std::string& mount_point) {
  std::vector<std::string> names;
  DIR* dir = opendir(mount_point.c_str());
  if (dir == nullptr) return names;
  while (struct dirent* e = readdir(dir)) {
    const std::string name = e->d_name;
    if (name.rfind("enclave_", 0) == 0) names.push_back(name);
  }
  closedir(dir);
  return names;
}

int Status() {
  const std::string mount_point = absl::GetFlag(FLAGS_ghostfs);
  if (absl::Status s = EnsureGhostfsMounted(mount_point); !s.ok()) {
    fprintf(stderr, "ghostctl: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  absl::StatusOr<uint32_t> kernel = ReadKernelAbiVersion(mount_point);
  if (!kernel.ok()) {
    fprintf(stderr, "ghostctl: %s\n",
            std::string(kernel.status().message()).c_str());
    return 1;
  }
  printf("ghostfs:            mounted at %s\n", mount_point.c_str());
  printf("kernel ABI version: %u\n", *kernel);
  printf("ghostctl ABI:       %u (%s)\n", LibraryAbiVersion(),
         *kernel == LibraryAbiVersion() ? "matches" : "MISMATCH");
  const std::vector<std::string> enclaves = Enclaves(mount_point);
  printf("enclaves:           %zu\n", enclaves.size());
  for (const std::string& e : enclaves) printf("  %s\n", e.c_str());
  return *kernel == LibraryAbiVersion() ? 0 : 1;
}

}  // namespace
}  // namespace ghost

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "ghostctl <command>\n\ncommands:\n  status   mount ghostfs if needed and "
      "show ABI versions and enclaves");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 2) {
    fprintf(stderr, "%s\n", absl::ProgramUsageMessage().data());
    return 2;
  }
  const std::string command = args[1];
  if (command == "status") return ghost::Status();
  fprintf(stderr, "ghostctl: unknown command \"%s\"\n%s\n", command.c_str(),
          absl::ProgramUsageMessage().data());
  return 2;
}
