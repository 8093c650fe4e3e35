#include "lib/abi/abi_version.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/uapi/linux/ghost.h"

namespace ghost {

uint32_t LibraryAbiVersion() { return GHOST_ABI_VERSION; }

absl::StatusOr<uint32_t> ParseAbiVersion(absl::string_view contents) {
  if (contents.empty() || contents.back() != '\n') {
    return absl::InvalidArgumentError(
        absl::StrCat("ghostfs version file must hold a number and a newline, "
                     "got \"",
                     absl::CEscape(contents), "\""));
  }
  contents.remove_suffix(1);
  uint32_t version;
  if (contents.empty() ||
      !std::all_of(contents.begin(), contents.end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(contents, &version)) {
    return absl::InvalidArgumentError(
        absl::StrCat("ghostfs version file is not a decimal number: \"",
                     absl::CEscape(contents), "\""));
  }
  return version;
}

absl::StatusOr<uint32_t> ReadKernelAbiVersion(const std::string& mount_point) {
  const std::string path = mount_point + "/version";
  std::ifstream in(path);
  if (!in) {
    const int err = errno;
    return absl::NotFoundError(absl::StrCat(
        "cannot read ", path, ": ", std::strerror(err),
        ". Is this a ghost kernel, and is ghostfs mounted? Try: mount -t "
        "ghost none ",
        mount_point));
  }
  std::stringstream contents;
  contents << in.rdbuf();
  return ParseAbiVersion(contents.str());
}

absl::Status CheckKernelAbiVersion(const std::string& mount_point) {
  absl::StatusOr<uint32_t> kernel = ReadKernelAbiVersion(mount_point);
  if (!kernel.ok()) return kernel.status();
  if (*kernel != LibraryAbiVersion()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the kernel offers ghost ABI version ", *kernel,
        " but this program was built for version ", LibraryAbiVersion(),
        "; rebuild it against the running kernel's ABI or boot a kernel "
        "with the matching patches"));
  }
  return absl::OkStatus();
}

absl::Status CheckKernelAbiVersion() {
  return CheckKernelAbiVersion(GHOSTFS_MOUNT_POINT);
}

}  // namespace ghost
