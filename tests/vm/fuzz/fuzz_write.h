// FuzzWrite: one write(2) of fuzzed text into a ghostfs (or sysfs) file,
// checked by the ledger.
#ifndef GHOST_TESTS_VM_FUZZ_FUZZ_WRITE_H_
#define GHOST_TESTS_VM_FUZZ_FUZZ_WRITE_H_

#include <string>

#include "absl/strings/string_view.h"
#include "tests/vm/fuzz/ledger.h"
#include "tests/vm/fuzz/world.h"

namespace ghost::fuzz {

// Writes `data` to `path` in one write(2), and records the outcome as
// `kind`. `enclave_file`: the file may vanish with its enclave.
void FuzzWrite(World& w, const std::string& kind, const std::string& path,
               absl::string_view data, const Allowed& allowed,
               bool enclave_file = true);

}  // namespace ghost::fuzz

#endif  // GHOST_TESTS_VM_FUZZ_FUZZ_WRITE_H_
