// RunFuzzer: the main thread's ghost_run() calls. Each is a plausible call
// of a random op (an fd of the right kind or not, fields on their edges),
// then placed badly or well (NULL, a hole, short, with a zero or non-zero
// tail, a reserved field set), and checked against docs/abi.md. Never a
// valid attach: the main thread must not become an agent.
#ifndef GHOST_TESTS_VM_FUZZ_RUN_FUZZER_H_
#define GHOST_TESTS_VM_FUZZ_RUN_FUZZER_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tests/vm/fuzz/arg_arena.h"
#include "tests/vm/fuzz/rng.h"
#include "tests/vm/fuzz/surface_fds.h"
#include "tests/vm/fuzz/world.h"

namespace ghost::fuzz {

class RunFuzzer {
 public:
  // `rng` and `fds` are the main thread's, shared with its other fuzzers.
  RunFuzzer(World& w, FuzzRng& rng, SurfaceFds& fds)
      : w_(w), rng_(rng), fds_(fds) {}
  RunFuzzer(const RunFuzzer&) = delete;
  RunFuzzer& operator=(const RunFuzzer&) = delete;

  // One random ghost_run() call.
  void GhostRun();

  // Now and then: opens one more enclave directory, closes the oldest.
  void RefreshDirs();

 private:
  struct Call {
    unsigned int op;
    std::vector<char> arg;  // the structure as we mean it
    bool bad = false;       // the ABI must refuse it
    std::string what;
  };

  template <typename T>
  static Call Fill(Call c, const T& args, bool bad, std::string what) {
    c.arg.assign(reinterpret_cast<const char*>(&args),
                 reinterpret_cast<const char*>(&args) + sizeof(args));
    c.bad = c.bad || bad;
    c.what = std::move(what);
    return c;
  }

  // Where the arguments go and how big the kernel is told they are. Sets
  // *bad for a pointer or size the kernel must refuse.
  struct Placement {
    void* ptr;
    unsigned int size;
  };

  int PickFd(bool want_queue, bool* bad);
  Call PlausibleCall(unsigned int op);
  Call GtidCall(Call c);
  Call SwCall(Call c);
  Call CreateQueueCall(Call c);
  Call AssocQueueCall(Call c);
  int RandomCpuArg(bool* bad);
  Call WakeupCall(Call c);
  Call AttachCall(Call c);
  Call CommitCall(Call c);
  Call PingCall(Call c);
  Call CpuQueueCall(Call c);
  static int ReservedOffset(unsigned int op);
  unsigned int PickOp();
  Placement Place(Call& c);
  Placement Copy(const std::vector<char>& bytes, unsigned int size);
  void KeepQueue(int fd, uint64_t map_size);

  World& w_;
  FuzzRng& rng_;
  SurfaceFds& fds_;
  ArgArena arena_;
};

}  // namespace ghost::fuzz

#endif  // GHOST_TESTS_VM_FUZZ_RUN_FUZZER_H_
