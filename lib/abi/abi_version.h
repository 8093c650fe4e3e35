// The ghost ABI version: which one this library speaks, and which one the
// running kernel offers (/sys/fs/ghost/version).
//
// Agents call CheckKernelAbiVersion() before touching anything else in
// ghostfs: a mismatch means struct layouts and file formats may differ, so
// running on would corrupt state silently.
//
//   if (absl::Status s = ghost::CheckKernelAbiVersion(); !s.ok()) {
//     std::cerr << s << "\n";  // says which version was found and which needed
//     return 1;
//   }
#ifndef GHOST_LIB_ABI_ABI_VERSION_H_
#define GHOST_LIB_ABI_ABI_VERSION_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ghost {

// The ABI version this library was built for (GHOST_ABI_VERSION).
uint32_t LibraryAbiVersion();

// Parses the contents of a ghostfs `version` file: one decimal number and a
// newline. Anything else is InvalidArgument.
absl::StatusOr<uint32_t> ParseAbiVersion(absl::string_view contents);

// Reads the version file of the ghostfs mounted at `mount_point`.
// NotFound if ghostfs is not mounted there (with a hint how to mount it).
absl::StatusOr<uint32_t> ReadKernelAbiVersion(const std::string& mount_point);

// OK if the kernel at `mount_point` speaks LibraryAbiVersion();
// FailedPrecondition naming both versions otherwise.
absl::Status CheckKernelAbiVersion(const std::string& mount_point);
absl::Status CheckKernelAbiVersion();

}  // namespace ghost

#endif  // GHOST_LIB_ABI_ABI_VERSION_H_
