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

  // Ping-pong between two threads pinned to one CPU: the reply can only
  // be written while the main thread is off the CPU, so every round
  // switches the main thread out at least once (blocked or preempted).
  constexpr int kRounds = 500;
  cpu_set_t one_cpu;
  CPU_ZERO(&one_cpu);
  CPU_SET(0, &one_cpu);
  ASSERT_EQ(sched_setaffinity(0, sizeof(one_cpu), &one_cpu), 0);
  int ping[2], pong[2];
  ASSERT_EQ(pipe(ping), 0);
  ASSERT_EQ(pipe(pong), 0);
  std::thread echo([&] {
    char c;
    for (int i = 0; i < kRounds; ++i) {
      if (read(ping[0], &c, 1) != 1 || write(pong[1], &c, 1) != 1) return;
    }
  });
  char c = 'x';
  for (int i = 0; i < kRounds; ++i) {
    ASSERT_EQ(write(ping[1], &c, 1), 1);
    ASSERT_EQ(read(pong[0], &c, 1), 1);
  }
  echo.join();
  for (int fd : {ping[0], ping[1], pong[0], pong[1]}) close(fd);

  const uint64_t mine = skel->bss->switches_out;
  const uint64_t total = skel->bss->switches_total;
  sched_switch_count::destroy(skel);
  EXPECT_GE(mine, static_cast<uint64_t>(kRounds));
  EXPECT_GE(total, mine);
}

}  // namespace
}  // namespace ghost
