// MappedRegion: one shared mapping (a ghostfs file, a queue's fd, or
// anonymous memory shared with forked children), unmapped when it goes.
// Every mapping of the ABI layer is one of these, so opening, mapping,
// error messages and unmapping are written once.
//
//   absl::StatusOr<MappedRegion> r = MappedRegion::MapFile(
//       dir + "/cpu_data", MappedRegion::kReadWrite);
//   ghost_txn* txns = r->as<ghost_txn>();
//
// Move-only; the address stays the same when the object moves, so
// pointers into the region stay valid as long as some owner lives.
#ifndef GHOST_LIB_ABI_MAPPED_REGION_H_
#define GHOST_LIB_ABI_MAPPED_REGION_H_

#include <cstddef>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ghost {

class MappedRegion {
 public:
  enum Access { kReadOnly, kReadWrite };

  // Maps `size` bytes (0: the file's size) of the file at `path`, shared.
  // Errors name the path, with a hint when ghostfs permissions are why.
  static absl::StatusOr<MappedRegion> MapFile(const std::string& path,
                                              Access access, size_t size = 0);

  // Maps `size` bytes of the open file `fd`, shared; `what` names it in
  // errors ("queue").
  static absl::StatusOr<MappedRegion> MapFd(int fd, size_t size,
                                            Access access,
                                            absl::string_view what);

  // `size` bytes of zeroed memory that children forked later share.
  static absl::StatusOr<MappedRegion> SharedAnonymous(size_t size);

  // `size` bytes at `memory`, which the caller owns and keeps alive (a
  // host test's fake kernel): nothing is unmapped.
  static MappedRegion Borrow(void* memory, size_t size) {
    return MappedRegion(memory, size, /*owned=*/false);
  }

  MappedRegion(MappedRegion&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)),
        size_(std::exchange(other.size_, 0)),
        owned_(std::exchange(other.owned_, false)) {}
  MappedRegion& operator=(MappedRegion&& other) noexcept;
  MappedRegion(const MappedRegion&) = delete;
  MappedRegion& operator=(const MappedRegion&) = delete;
  ~MappedRegion() { Unmap(); }

  void* data() const { return data_; }
  size_t size() const { return size_; }
  template <typename T>
  T* as() const {
    return static_cast<T*>(data_);
  }

 private:
  MappedRegion(void* data, size_t size, bool owned)
      : data_(data), size_(size), owned_(owned) {}
  void Unmap();

  void* data_;
  size_t size_;
  bool owned_;  // ours to unmap
};

}  // namespace ghost

#endif  // GHOST_LIB_ABI_MAPPED_REGION_H_
