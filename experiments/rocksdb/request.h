// One request of the open-loop load, as the generator, the dispatcher and
// a worker stamp it on its way (CLOCK_MONOTONIC ns):
//
//   scheduled   its Poisson arrival time (what latency is counted from)
//   generated   when the generator put it in the dispatcher's queue
//   dispatched  when the dispatcher handed it to an idle worker
//   started     when that worker ran its first instruction for it
//   finished    when the worker was done (0: not finished)
#ifndef GHOST_EXPERIMENTS_ROCKSDB_REQUEST_H_
#define GHOST_EXPERIMENTS_ROCKSDB_REQUEST_H_

#include <cstdint>

namespace ghost::rocksdb_exp {

enum class Kind : uint8_t { kGet = 0, kRange = 1 };

inline const char* KindName(Kind k) {
  return k == Kind::kGet ? "get" : "range";
}

// A plain copy of a request's stamps, taken when the run is judged.
struct RequestRecord {
  Kind kind = Kind::kGet;
  int64_t scheduled_ns = 0;
  int64_t generated_ns = 0;
  int64_t dispatched_ns = 0;
  int64_t started_ns = 0;
  int64_t finished_ns = 0;     // 0: unfinished
  int64_t work_cpu_ns = 0;     // the RocksDB call's CPU time
  int64_t service_cpu_ns = 0;  // CPU time including the padding
  bool overshot = false;       // the work alone exceeded the target
  bool db_ok = true;           // RocksDB returned OK (and found the key)
};

}  // namespace ghost::rocksdb_exp

#endif  // GHOST_EXPERIMENTS_ROCKSDB_REQUEST_H_
