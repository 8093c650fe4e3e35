// Text the ABI fuzzer writes into ghostfs files: a corpus of inputs
// docs/abi.md says each file must reject, random good ones, and mutations
// of both. CPU 0 never appears in a list that could be accepted.
#ifndef GHOST_TESTS_VM_FUZZ_INPUTS_H_
#define GHOST_TESTS_VM_FUZZ_INPUTS_H_

#include <string>
#include <vector>

#include "tests/vm/fuzz/rng.h"
#include "tests/vm/fuzz/world.h"

namespace ghost::fuzz {

// One input for one file, and whether the ABI says it must be rejected.
struct Input {
  std::string text;
  bool must_fail;
};

// The corpus: inputs each file must reject. The main thread tries every
// one once before fuzzing, so each run covers them whatever its seed;
// afterwards they are drawn at random.
std::vector<std::string> BadCtlInputs(const std::string& id);
extern const std::vector<std::string> kBadCpulists;
extern const std::vector<std::string> kBadTids;
extern const std::vector<std::string> kBadTicks;
extern const std::vector<std::string> kBadTimeouts;
extern const std::vector<std::string> kBadEnclaveCtl;

// A random input for each file.
Input TopCtlInput(FuzzRng& rng);
Input CpulistInput(FuzzRng& rng);
Input TasksInput(World& w, FuzzRng& rng);
Input TicksInput(FuzzRng& rng);
Input TimeoutInput(FuzzRng& rng);

// A random non-empty subset of CPUs 1-3 as a list.
std::string RandomCpuSet(FuzzRng& rng);

}  // namespace ghost::fuzz

#endif  // GHOST_TESTS_VM_FUZZ_INPUTS_H_
