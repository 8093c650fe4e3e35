#include <sys/stat.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/abi/enclave.h"

namespace ghost {
namespace {

TEST(ListEnclaveIds, ReturnsTheNumericEnclaveDirectoriesInOrder) {
  const std::string root = ::testing::TempDir() + "/fake_ghostfs_list";
  mkdir(root.c_str(), 0755);
  for (const char* name :
       {"enclave_10", "enclave_3", "enclave_x", "version", "enclave_"}) {
    mkdir((root + "/" + name).c_str(), 0755);
  }
  absl::StatusOr<std::vector<unsigned int>> ids = ListEnclaveIds(root);
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_THAT(*ids, ::testing::ElementsAre(3u, 10u));
}

TEST(ListEnclaveIds, AMissingGhostfsIsNotFound) {
  EXPECT_EQ(ListEnclaveIds("/no/such/ghostfs").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace ghost
