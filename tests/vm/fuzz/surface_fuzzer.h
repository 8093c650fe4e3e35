// SurfaceFuzzer: what the ABI fuzzer's main thread does. It writes good,
// bad and mutated text into every ghostfs file, reads every file, polls
// agent_online, and hands ghost_run() calls to a RunFuzzer and mappings to
// a MapFuzzer, all drawing from one random stream.
//
//   SurfaceFuzzer surface(world);  // after the home enclave exists
//   surface.RunCorpus();
//   while (...) surface.Step();
#ifndef GHOST_TESTS_VM_FUZZ_SURFACE_FUZZER_H_
#define GHOST_TESTS_VM_FUZZ_SURFACE_FUZZER_H_

#include <set>
#include <string>

#include "tests/vm/fuzz/inputs.h"
#include "tests/vm/fuzz/map_fuzzer.h"
#include "tests/vm/fuzz/rng.h"
#include "tests/vm/fuzz/run_fuzzer.h"
#include "tests/vm/fuzz/surface_fds.h"
#include "tests/vm/fuzz/world.h"

namespace ghost::fuzz {

class SurfaceFuzzer {
 public:
  explicit SurfaceFuzzer(World& w)
      : w_(w), rng_(w.config.seed, 0), run_(w, rng_, fds_),
        maps_(w, rng_, fds_) {}
  SurfaceFuzzer(const SurfaceFuzzer&) = delete;
  SurfaceFuzzer& operator=(const SurfaceFuzzer&) = delete;

  // Every input of the corpus (inputs.h) once, on the top ctl and on the
  // home enclave's files.
  void RunCorpus();

  // One random operation.
  void Step();

 private:
  void TopCtl();
  void EnclaveWrite();
  void OptionalWrite(const std::string& name, const std::string& dir, const Input& in, const std::set<int>& errnos);
  void EnclaveCtl(const std::string& dir);
  void ReadOnlyWrite();
  std::string RandomPath();
  void Read();
  void CheckContents(const std::string& path, const std::string& text);
  void PollAgentOnline();

  World& w_;
  FuzzRng rng_;
  SurfaceFds fds_;
  RunFuzzer run_;
  MapFuzzer maps_;
};

}  // namespace ghost::fuzz

#endif  // GHOST_TESTS_VM_FUZZ_SURFACE_FUZZER_H_
