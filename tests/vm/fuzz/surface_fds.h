// SurfaceFds: the descriptors the main thread's fuzzers share: files that
// are no enclave directory nor queue, enclave directories (some of
// destroyed enclaves), the queues it created and the live enclave ids as of
// a moment ago.
#ifndef GHOST_TESTS_VM_FUZZ_SURFACE_FDS_H_
#define GHOST_TESTS_VM_FUZZ_SURFACE_FDS_H_

#include <cstdint>
#include <map>
#include <vector>

#include "tests/vm/fuzz/system_view.h"

namespace ghost::fuzz {

struct SurfaceFds {
  // Opens `others`; the home enclave must exist.
  SurfaceFds();
  ~SurfaceFds();
  SurfaceFds(const SurfaceFds&) = delete;
  SurfaceFds& operator=(const SurfaceFds&) = delete;

  std::vector<int> others;  // never an enclave directory nor a queue
  std::vector<int> dirs;    // enclave directories, some destroyed
  std::vector<int> queues;
  std::map<int, uint64_t> queue_sizes;  // what CREATE_QUEUE said to map
  // The live enclaves, as of a moment ago: listing them costs more than
  // most operations, and a stale list is a case too.
  std::vector<unsigned int> ids = LiveIds();
};

}  // namespace ghost::fuzz

#endif  // GHOST_TESTS_VM_FUZZ_SURFACE_FDS_H_
