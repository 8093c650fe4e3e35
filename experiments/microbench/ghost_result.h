// What one ghost measurement gives: the per-round samples its agent body
// left (what `a` and `b` time depends on the body, agent_bodies.h) and the
// counts that say how clean the run was.
#ifndef GHOST_EXPERIMENTS_MICROBENCH_GHOST_RESULT_H_
#define GHOST_EXPERIMENTS_MICROBENCH_GHOST_RESULT_H_

#include <cstdint>
#include <string>
#include <vector>

namespace ghost::bench {

struct GhostResult {
  std::vector<uint64_t> a, b;  // ns, one of each per measured round
  uint64_t lost_rounds = 0;    // latched, ran, but left no timestamp
  std::string results;         // transaction results seen (ResultCounts)
};

}  // namespace ghost::bench

#endif  // GHOST_EXPERIMENTS_MICROBENCH_GHOST_RESULT_H_
