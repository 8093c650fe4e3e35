// The pure parts of lib/bpf: the ops table a loader writes for the kernel,
// and the verifier log's tail that errors carry.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/bpf/ghost_bpf_ops.h"
#include "lib/bpf/verifier_log.h"

namespace ghost {
namespace {

// The layout of 6.12 with patch 0039: the table at 64 (cache aligned after
// the struct_ops header), 128 bytes in all.
GhostBpfOpsLayout Layout() {
  GhostBpfOpsLayout l;
  l.value_size = 128;
  l.hook[0] = 64;
  l.hook[1] = 72;
  l.hook[2] = 80;
  l.enclave_id = 88;
  l.flags = 92;
  l.name = 96;
  l.name_len = 16;
  return l;
}

uint64_t U64At(const std::vector<char>& v, size_t off) {
  uint64_t x;
  std::memcpy(&x, &v[off], sizeof(x));
  return x;
}

TEST(GhostBpfOpsValueTest, PutsEachFieldWhereTheKernelReadsIt) {
  const int fds[kGhostBpfHooks] = {7, -1, 9};
  absl::StatusOr<std::vector<char>> v =
      MakeGhostBpfOpsValue(Layout(), 31, "probe", fds);
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->size(), 128u);
  EXPECT_EQ(U64At(*v, 64), 7u);
  EXPECT_EQ(U64At(*v, 72), 0u) << "no program: 0, which the kernel skips";
  EXPECT_EQ(U64At(*v, 80), 9u);
  uint32_t id, flags;
  std::memcpy(&id, &(*v)[88], 4);
  std::memcpy(&flags, &(*v)[92], 4);
  EXPECT_EQ(id, 31u);
  EXPECT_EQ(flags, 0u);
  EXPECT_EQ(std::string(&(*v)[96]), "probe");
  for (size_t i = 0; i < 64; ++i) {
    EXPECT_EQ((*v)[i], 0) << "the kernel's header must be zero, byte " << i;
  }
}

TEST(GhostBpfOpsValueTest, RefusesNamesThatDoNotFit) {
  const int fds[kGhostBpfHooks] = {-1, -1, -1};
  EXPECT_FALSE(MakeGhostBpfOpsValue(Layout(), 1, "", fds).ok());
  EXPECT_FALSE(
      MakeGhostBpfOpsValue(Layout(), 1, "sixteen_chars_xx", fds).ok());
  EXPECT_TRUE(MakeGhostBpfOpsValue(Layout(), 1, "fifteen_chars_x", fds).ok());
}

TEST(LogTailTest, KeepsTheLastLines) {
  EXPECT_EQ(LogTail("a\nb\n\nc\nd\n", 2), "c\nd");
  EXPECT_EQ(LogTail("only\n", 5), "only");
  EXPECT_EQ(LogTail("", 3), "");
}

}  // namespace
}  // namespace ghost
