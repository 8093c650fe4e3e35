// Cases that exist to prove the lab's failure handling; they are DISABLED_
// so a normal run skips them. `tools/ghost lab test` runs HangsForever on
// purpose and checks that the runner names it as timed out.
#include <unistd.h>

#include "gtest/gtest.h"

namespace ghost {
namespace {

TEST(LabSelfTest, DISABLED_HangsForever) {
  for (;;) pause();
}

}  // namespace
}  // namespace ghost
