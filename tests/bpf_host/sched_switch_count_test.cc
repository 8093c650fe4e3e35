// The BPF pipeline end to end on the host kernel: the skeleton built by
// //bpf:sched_switch_count opens, loads, attaches, and counts this
// process's context switches.
#include <sched.h>
#include <unistd.h>

#include <thread>

#include "bpf/sched_switch_count.skel.h"
#include "gtest/gtest.h"

namespace ghost {
namespace {

TEST(SchedSwitchCount, CountsTheSwitchesOfThisProcess) {
  sched_switch_count* skel = sched_switch_count::open();
  ASSERT_NE(skel, nullptr) << "open failed";
  skel->rodata->target_tgid = getpid();
  ASSERT_EQ(sched_switch_count::load(skel), 0)
      << "load failed (needs root and a kernel with BPF)";
  ASSERT_EQ(sched_switch_count::attach(skel), 0);

  // Two threads pinned to one CPU that yield to each other switch often.
  cpu_set_t one_cpu;
  CPU_ZERO(&one_cpu);
  CPU_SET(0, &one_cpu);
  auto yield_loop = [&] {
    sched_setaffinity(0, sizeof(one_cpu), &one_cpu);
    for (int i = 0; i < 2000; ++i) sched_yield();
  };
  std::thread a(yield_loop), b(yield_loop);
  a.join();
  b.join();

  const uint64_t mine = skel->bss->switches_out;
  const uint64_t total = skel->bss->switches_total;
  sched_switch_count::destroy(skel);
  EXPECT_GT(mine, 100u);
  EXPECT_GE(total, mine);
}

}  // namespace
}  // namespace ghost
