#include "tests/vm/fuzz/fuzz_write.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/vm/fuzz/trace.h"

namespace ghost::fuzz {
namespace {

// A cpulist that drops a CPU takes that CPU's agent out of its enclave;
// so does taking the CPU offline (the sysfs "online" file).
bool MayEvictAnAgent(const std::string& path) {
  return absl::EndsWith(path, "/cpulist") || absl::EndsWith(path, "/online");
}

}  // namespace

void FuzzWrite(World& w, const std::string& kind, const std::string& path,
               absl::string_view data, const Allowed& allowed,
               bool enclave_file) {
  Trace(absl::StrCat("write ", path, " <- ", data.substr(0, 80)));
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    Allowed gone;
    // Gone (ENOENT), or being removed with its enclave (kernfs: ENODEV).
    if (enclave_file) gone.errnos = {ENOENT, ENODEV};
    w.ledger.Record(kind + ".open", false, err, gone, path);
    return;
  }
  const bool evicts = MayEvictAnAgent(path);
  if (evicts) w.evictions.fetch_add(1);
  const ssize_t n = write(fd, data.data(), data.size());
  const int err = errno;
  if (evicts) w.evictions.fetch_add(1);
  close(fd);
  const std::string input = absl::StrCat(path, " <- ", data);
  w.ledger.Record(kind, n >= 0, err, allowed, input);
  if (n >= 0 && static_cast<size_t>(n) < data.size()) {
    w.ledger.Note(kind + ": short write (kernfs takes one page)", input);
  }
  if (n >= 0 && data.find('\0') != absl::string_view::npos) {
    w.ledger.Note(kind + ": text after a NUL ignored, write accepted", input);
  }
}

}  // namespace ghost::fuzz
