// SharedBlock<T>: one T in memory shared with the child processes forked
// after it is made (an agent process reports counters and problems to its
// parent through one). T must work across processes without pointers into
// either's heap: atomics and fixed arrays.
//
//   SharedBlock<Report> report;       // constructs a Report, before fork()
//   if (!report.ok()) ... report.status()
//   report->messages.fetch_add(1);    // in either process
#ifndef GHOST_LIB_RUNTIME_SHARED_BLOCK_H_
#define GHOST_LIB_RUNTIME_SHARED_BLOCK_H_

#include <new>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/abi/mapped_region.h"

namespace ghost {

template <typename T>
class SharedBlock {
 public:
  SharedBlock() : region_(MappedRegion::SharedAnonymous(sizeof(T))) {
    if (region_.ok()) new (region_->data()) T();
  }
  ~SharedBlock() {
    if (region_.ok()) get()->~T();
  }
  SharedBlock(const SharedBlock&) = delete;
  SharedBlock& operator=(const SharedBlock&) = delete;

  // Whether the memory could be mapped (else the block is unusable).
  bool ok() const { return region_.ok(); }
  absl::Status status() const { return region_.status(); }

  T* get() const { return region_->template as<T>(); }
  T* operator->() const { return get(); }
  T& operator*() const { return *get(); }

 private:
  absl::StatusOr<MappedRegion> region_;
};

}  // namespace ghost

#endif  // GHOST_LIB_RUNTIME_SHARED_BLOCK_H_
