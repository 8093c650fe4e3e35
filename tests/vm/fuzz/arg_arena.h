// ArgArena: where the main thread puts ghost_run() arguments.
#ifndef GHOST_TESTS_VM_FUZZ_ARG_ARENA_H_
#define GHOST_TESTS_VM_FUZZ_ARG_ARENA_H_

#include <sys/mman.h>

#include <cstddef>

#include "tests/vm/fuzz/layout.h"

namespace ghost::fuzz {

// Three pages: two for arguments, then one that faults, so that a size
// larger than the structure makes the kernel read into a hole (EFAULT)
// instead of scanning memory for zeros.
class ArgArena final {
 public:
  ArgArena() {
    base_ = static_cast<char*>(mmap(nullptr, 3 * kPage, PROT_READ | PROT_WRITE,
                                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    mprotect(base_ + 2 * kPage, kPage, PROT_NONE);
  }
  ~ArgArena() { munmap(base_, 3 * kPage); }
  ArgArena(const ArgArena&) = delete;
  ArgArena& operator=(const ArgArena&) = delete;

  // Room for `bytes` that ends where the hole starts.
  char* EndingAtHole(size_t bytes) { return base_ + 2 * kPage - bytes; }
  char* hole() { return base_ + 2 * kPage; }

 private:
  char* base_;
};

}  // namespace ghost::fuzz

#endif  // GHOST_TESTS_VM_FUZZ_ARG_ARENA_H_
