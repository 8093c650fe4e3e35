// Ghostctl(): runs ghostctl's dispatcher in the test process with stdout
// and stderr captured, for host tests of its commands.
#ifndef GHOST_TESTS_HOST_GHOSTCTL_OUTCOME_H_
#define GHOST_TESTS_HOST_GHOSTCTL_OUTCOME_H_

#include <cstdio>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tools/ghostctl/command_table.h"

namespace ghost::ctl {

struct Outcome {
  int rc;
  std::string out, err;
};

inline Outcome Ghostctl(const std::vector<std::string>& words) {
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  Outcome o;
  o.rc = Dispatch(words);
  fflush(stdout);
  o.out = ::testing::internal::GetCapturedStdout();
  o.err = ::testing::internal::GetCapturedStderr();
  return o;
}

}  // namespace ghost::ctl

#endif  // GHOST_TESTS_HOST_GHOSTCTL_OUTCOME_H_
