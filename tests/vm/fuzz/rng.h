// FuzzRng: the ABI fuzzer's seeded random source, with helpers that favour
// edge values (0, -1, sign bits, powers of two).
#ifndef GHOST_TESTS_VM_FUZZ_RNG_H_
#define GHOST_TESTS_VM_FUZZ_RNG_H_

#include <cstdint>
#include <initializer_list>
#include <random>
#include <vector>

namespace ghost::fuzz {

// One deterministic stream per fuzzing thread: thread `stream` of seed S
// always makes the same choices, so a finding can be replayed from S (the
// interleaving between threads is the kernel's, not ours).
class FuzzRng {
 public:
  FuzzRng(uint64_t seed, uint64_t stream)
      : gen_(seed * 0x9e3779b97f4a7c15ULL + stream) {}

  uint64_t Next() { return gen_(); }
  // Uniform in [0, n); n > 0.
  uint64_t Below(uint64_t n) { return Next() % n; }
  // Uniform in [lo, hi].
  int64_t Range(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }
  bool OneIn(uint64_t n) { return Below(n) == 0; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Below(v.size())];
  }
  template <typename T>
  T Pick(std::initializer_list<T> l) {
    return *(l.begin() + Below(l.size()));
  }

  // A 32-bit value that is often on an edge: 0, 1, -1, sign bits, powers
  // of two and their neighbours, or anything.
  uint32_t Edgy32() {
    switch (Below(6)) {
      case 0:
        return Pick<uint32_t>({0, 1, 2, 0xffffffffu, 0x7fffffffu,
                               0x80000000u, 16, 4096, 65536, 65537});
      case 1: {
        const uint32_t p = 1u << Below(32);
        return p + static_cast<uint32_t>(Range(-1, 1));
      }
      case 2:
        return static_cast<uint32_t>(Below(8));
      default:
        return static_cast<uint32_t>(Next());
    }
  }
  uint64_t Edgy64() {
    if (OneIn(4)) return Next();
    if (OneIn(3)) return ~uint64_t{0} - Below(2);
    return Edgy32();
  }

 private:
  std::mt19937_64 gen_;
};

}  // namespace ghost::fuzz

#endif  // GHOST_TESTS_VM_FUZZ_RNG_H_
