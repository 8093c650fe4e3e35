#include "lib/scx/bpf_message_ring.h"

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace ghost::scx {

namespace {

uint64_t LoadAcquire(const uint64_t* p) {
  return std::atomic_ref<uint64_t>(*const_cast<uint64_t*>(p))
      .load(std::memory_order_acquire);
}

uint32_t LoadAcquire32(const char* p) {
  return std::atomic_ref<uint32_t>(
             *reinterpret_cast<uint32_t*>(const_cast<char*>(p)))
      .load(std::memory_order_acquire);
}

uint64_t RoundUp8(uint64_t n) { return (n + 7) & ~uint64_t{7}; }

}  // namespace

absl::StatusOr<std::unique_ptr<BpfMessageRing>> BpfMessageRing::Map(
    int map_fd, uint64_t data_bytes, const uint64_t* overflow) {
  const long page = sysconf(_SC_PAGESIZE);
  // The consumer page is the reader's to write; the producer page and the
  // data (twice) are read-only.
  void* cons = mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
  if (cons == MAP_FAILED) {
    return absl::ErrnoToStatus(errno, "mapping a BPF ring's consumer page");
  }
  const uint64_t prod_bytes = page + 2 * data_bytes;
  void* prod = mmap(nullptr, prod_bytes, PROT_READ, MAP_SHARED, map_fd, page);
  if (prod == MAP_FAILED) {
    const int err = errno;
    munmap(cons, page);
    return absl::ErrnoToStatus(
        err, absl::StrCat("mapping a BPF ring's ", data_bytes, " data bytes"));
  }
  auto ring = std::make_unique<BpfMessageRing>(
      static_cast<uint64_t*>(cons), static_cast<const uint64_t*>(prod),
      static_cast<const char*>(prod) + page, data_bytes, overflow);
  ring->consumer_map_ = cons;
  ring->producer_map_ = prod;
  ring->producer_map_bytes_ = prod_bytes;
  return ring;
}

BpfMessageRing::BpfMessageRing(uint64_t* consumer, const uint64_t* producer,
                               const char* data, uint64_t data_bytes,
                               const uint64_t* overflow)
    : consumer_(consumer),
      producer_(producer),
      data_(data),
      mask_(data_bytes - 1),
      overflow_(overflow),
      pos_(LoadAcquire(consumer)) {}

BpfMessageRing::~BpfMessageRing() {
  if (consumer_map_ != nullptr) munmap(consumer_map_, sysconf(_SC_PAGESIZE));
  if (producer_map_ != nullptr) munmap(producer_map_, producer_map_bytes_);
}

void BpfMessageRing::Advance(uint64_t bytes) const {
  pos_ += bytes;
  // The producer may reuse the space once it sees the new position.
  std::atomic_ref<uint64_t>(*consumer_).store(pos_, std::memory_order_release);
}

const char* BpfMessageRing::Next() const {
  for (;;) {
    if (pos_ >= LoadAcquire(producer_)) return nullptr;
    const char* rec = data_ + (pos_ & mask_);
    const uint32_t len = LoadAcquire32(rec);
    if (len & kRingBusyBit) return nullptr;  // still being written
    const uint32_t bytes = len & ~(kRingBusyBit | kRingDiscardBit);
    if (!(len & kRingDiscardBit) && bytes == sizeof(ghost_msg)) return rec;
    ++skipped_;
    Advance(RoundUp8(kRingHeaderBytes + bytes));
  }
}

bool BpfMessageRing::Peek(ghost_msg* msg) const {
  const char* rec = Next();
  if (rec == nullptr) return false;
  std::memcpy(msg, rec + kRingHeaderBytes, sizeof(*msg));
  return true;
}

void BpfMessageRing::Consume() {
  if (Next() != nullptr) Advance(kRingRecordBytes);
}

bool BpfMessageRing::Pop(ghost_msg* msg) {
  if (!Peek(msg)) return false;
  Advance(kRingRecordBytes);
  return true;
}

uint32_t BpfMessageRing::Pending() const {
  const uint64_t bytes = LoadAcquire(producer_) - pos_;
  return static_cast<uint32_t>(bytes / kRingRecordBytes);
}

uint64_t BpfMessageRing::overflow() const {
  if (overflow_ == nullptr) return 0;
  return std::atomic_ref<uint64_t>(*const_cast<uint64_t*>(overflow_))
      .load(std::memory_order_relaxed);
}

}  // namespace ghost::scx
