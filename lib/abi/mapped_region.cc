#include "lib/abi/mapped_region.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "lib/abi/fd.h"
#include "lib/abi/privilege.h"
#include "lib/util/errno_status.h"

namespace ghost {

namespace {

int Prot(MappedRegion::Access access) {
  return access == MappedRegion::kReadWrite ? PROT_READ | PROT_WRITE
                                            : PROT_READ;
}

}  // namespace

absl::StatusOr<MappedRegion> MappedRegion::MapFile(const std::string& path,
                                                   Access access,
                                                   size_t size) {
  Fd fd(open(path.c_str(), (access == kReadWrite ? O_RDWR : O_RDONLY) |
                               O_CLOEXEC));
  if (!fd.valid()) {
    const int err = errno;
    return ErrnoStatus(err, absl::StrCat("open ", path),
                       GhostfsPermissionHint(path, err));
  }
  if (size == 0) {
    struct stat st;
    if (fstat(fd.get(), &st) != 0) {
      return ErrnoStatus(errno, absl::StrCat("stat ", path));
    }
    size = st.st_size;
  }
  void* p = mmap(nullptr, size, Prot(access), MAP_SHARED, fd.get(), 0);
  if (p == MAP_FAILED) {
    const int err = errno;
    return ErrnoStatus(err, absl::StrCat("mmap ", path),
                       GhostfsPermissionHint(path, err));
  }
  // The mapping keeps the file; the descriptor is not needed any more.
  return MappedRegion(p, size, /*owned=*/true);
}

absl::StatusOr<MappedRegion> MappedRegion::MapFd(int fd, size_t size,
                                                 Access access,
                                                 absl::string_view what) {
  void* p = mmap(nullptr, size, Prot(access), MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return ErrnoStatus(errno, absl::StrCat("mmap ", what));
  return MappedRegion(p, size, /*owned=*/true);
}

absl::StatusOr<MappedRegion> MappedRegion::SharedAnonymous(size_t size) {
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    return ErrnoStatus(errno, absl::StrCat("mmap ", size, " shared bytes"));
  }
  return MappedRegion(p, size, /*owned=*/true);
}

MappedRegion& MappedRegion::operator=(MappedRegion&& other) noexcept {
  if (this != &other) {
    Unmap();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    owned_ = std::exchange(other.owned_, false);
  }
  return *this;
}

void MappedRegion::Unmap() {
  if (owned_ && data_ != nullptr) munmap(data_, size_);
  data_ = nullptr;
  owned_ = false;
}

}  // namespace ghost
