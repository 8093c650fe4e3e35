// CpuSet: a set of CPU numbers as a bit mask sized to the machine, so any
// CPU the machine has fits (not only the first 64). Sized once, it never
// allocates again: membership tests, Add, Remove, Clear and copying into a
// set of the same size are safe on an agent's hot path.
//
//   CpuSet refused(CpuSet::MachineCpus());
//   refused.Add(70);
//   if (!refused.Contains(cpu)) ...
//
// A CPU beyond the size is in no set; adding one grows the set (the one
// case that allocates, for a CPU the size did not foresee).
#ifndef GHOST_LIB_UTIL_CPU_SET_H_
#define GHOST_LIB_UTIL_CPU_SET_H_

#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace ghost {

class CpuSet {
 public:
  // How many CPU numbers the machine may use (configured CPUs, online or
  // not): the size that fits every CPU.
  static int MachineCpus() {
    const long n = sysconf(_SC_NPROCESSORS_CONF);
    return n > 0 ? static_cast<int>(n) : 1;
  }

  // An empty set that holds CPUs 0 .. `nr_cpus` - 1 without growing.
  explicit CpuSet(int nr_cpus = 0) : words_(Words(nr_cpus), 0) {}

  // The set of `cpus`, sized to hold the largest and `nr_cpus` - 1.
  static CpuSet Of(absl::Span<const int> cpus, int nr_cpus = 0) {
    int size = nr_cpus;
    for (int c : cpus) size = std::max(size, c + 1);
    CpuSet s(size);
    for (int c : cpus) s.Add(c);
    return s;
  }

  // CPUs it holds without growing (a multiple of 64).
  int capacity() const { return static_cast<int>(words_.size()) * 64; }

  bool Contains(int cpu) const {
    return cpu >= 0 && cpu < capacity() && (words_[cpu / 64] & Bit(cpu));
  }
  void Add(int cpu) {
    if (cpu < 0) return;
    if (cpu >= capacity()) words_.resize(Words(cpu + 1), 0);
    words_[cpu / 64] |= Bit(cpu);
  }
  void Remove(int cpu) {
    if (cpu >= 0 && cpu < capacity()) words_[cpu / 64] &= ~Bit(cpu);
  }
  void Clear() { std::fill(words_.begin(), words_.end(), 0); }

  bool empty() const {
    return std::all_of(words_.begin(), words_.end(),
                       [](uint64_t w) { return w == 0; });
  }
  int size() const {
    int n = 0;
    for (uint64_t w : words_) n += std::popcount(w);
    return n;
  }

  // The CPUs in the set, ascending.
  std::vector<int> ToVector() const {
    std::vector<int> out;
    for (int c = 0; c < capacity(); ++c) {
      if (Contains(c)) out.push_back(c);
    }
    return out;
  }

  // Same members, whatever the sizes.
  friend bool operator==(const CpuSet& a, const CpuSet& b) {
    const size_t n = std::max(a.words_.size(), b.words_.size());
    for (size_t i = 0; i < n; ++i) {
      if (a.Word(i) != b.Word(i)) return false;
    }
    return true;
  }

 private:
  static size_t Words(int nr_cpus) {
    return nr_cpus > 0 ? (static_cast<size_t>(nr_cpus) + 63) / 64 : 0;
  }
  static uint64_t Bit(int cpu) { return uint64_t{1} << (cpu % 64); }
  uint64_t Word(size_t i) const { return i < words_.size() ? words_[i] : 0; }

  std::vector<uint64_t> words_;
};

}  // namespace ghost

#endif  // GHOST_LIB_UTIL_CPU_SET_H_
