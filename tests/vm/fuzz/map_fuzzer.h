// MapFuzzer: the main thread's mappings of ghost files (cpu_data, sw_0,
// queues, files that have no mmap) with odd lengths, offsets, protections
// and flags; it touches what it mapped, tries to make read-only mappings
// writable, scribbles queue tails and garbage into any enclave's slots.
#ifndef GHOST_TESTS_VM_FUZZ_MAP_FUZZER_H_
#define GHOST_TESTS_VM_FUZZ_MAP_FUZZER_H_

#include <cstddef>
#include <string>

#include "tests/vm/fuzz/rng.h"
#include "tests/vm/fuzz/surface_fds.h"
#include "tests/vm/fuzz/world.h"

namespace ghost::fuzz {

class MapFuzzer {
 public:
  // `rng` and `fds` are the main thread's, shared with its other fuzzers.
  MapFuzzer(World& w, FuzzRng& rng, SurfaceFds& fds)
      : w_(w), rng_(rng), fds_(fds) {}
  MapFuzzer(const MapFuzzer&) = delete;
  MapFuzzer& operator=(const MapFuzzer&) = delete;

  // One mmap() of a random ghost file, used if it worked.
  void Mmap();

  // Garbage into any enclave's slots: the kernel reads them at the next
  // commit, so no value may hurt it. Never CLAIMED (the agent's check).
  void Scribble();

 private:
  struct MapTarget {
    std::string kind;
    int fd = -1;
    size_t size = 0;
    bool shared_only = true;  // MAP_PRIVATE is EINVAL
    bool read_only = false;   // PROT_WRITE is refused
    bool own_fd = true;
  };

  MapTarget OpenMapTarget();
  void UseMapping(const MapTarget& t, void* p, size_t len, int prot, int flags);

  World& w_;
  FuzzRng& rng_;
  SurfaceFds& fds_;
};

}  // namespace ghost::fuzz

#endif  // GHOST_TESTS_VM_FUZZ_MAP_FUZZER_H_
