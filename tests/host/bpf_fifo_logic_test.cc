// bpf_fifo's queue and pick loop (bpf/ghost_bpf_fifo_logic.h), compiled for
// the host: what a pick does with each latch result, and that no entry is
// lost unless the kernel's answer means a later message queues the thread
// again. The BPF program includes the same loop; here a fake kernel
// answers its latch attempts, with the kernel's bounds (one latch and four
// attempts per pick, -EBUSY after).
#include <cerrno>
#include <cstdint>
#include <map>
#include <vector>

#include "bpf/ghost_bpf_fifo_logic.h"
#include "gtest/gtest.h"

namespace {

// The queue and the fake kernel, as the loop's steps see them.
ghost_fifo_slots queue;
std::map<uint64_t, std::vector<int32_t>> answers;  // per gtid, in turn
std::vector<uint64_t> tried;                        // this pick's attempts
bool latched = false;                               // this pick latched

// The kernel's answer to attempt number tried.size() for `gtid`: -EBUSY
// after a latch or four attempts, else the next scripted answer (the last
// one repeats; COMPLETE if none).
int32_t Answer(uint64_t gtid) {
  if (latched || tried.size() > 4) return -EBUSY;
  std::vector<int32_t>& a = answers[gtid];
  int32_t ret = GHOST_TXN_COMPLETE;
  if (!a.empty()) {
    ret = a.front();
    if (a.size() > 1) a.erase(a.begin());
  }
  if (ret == GHOST_TXN_COMPLETE) latched = true;
  return ret;
}

}  // namespace

// The steps the loop takes (declared by the header).
static int fifo_pop(__u64* gtid) { return ghost_fifo_slots_pop(&queue, gtid); }
static int fifo_add(__u64 gtid, int front) {
  return ghost_fifo_slots_add(&queue, gtid, front);
}
static enum ghost_fifo_fate fifo_try(__u64 gtid) {
  tried.push_back(gtid);
  return ghost_fifo_fate(Answer(gtid));
}

namespace ghost {
namespace {

std::vector<uint64_t> Queued() {
  std::vector<uint64_t> out;
  for (uint32_t i = queue.head; i != queue.tail; ++i) {
    out.push_back(queue.gtid[i & GHOST_FIFO_MASK]);
  }
  return out;
}

class BpfFifoPickTest : public ::testing::Test {
 protected:
  void SetUp() override {
    queue.head = queue.tail = 0;
    answers.clear();
    tried.clear();
    latched = false;
  }
  static void Queue(const std::vector<uint64_t>& gtids) {
    for (uint64_t g : gtids) ASSERT_TRUE(fifo_add(g, 0));
  }
};

using V = std::vector<uint64_t>;

TEST_F(BpfFifoPickTest, AnEmptyQueueTriesNothing) {
  EXPECT_EQ(ghost_fifo_pick(), 0);
  EXPECT_TRUE(tried.empty());
}

TEST_F(BpfFifoPickTest, TheHeadIsLatched) {
  Queue({1, 2, 3});
  EXPECT_EQ(ghost_fifo_pick(), 1);
  EXPECT_EQ(tried, V({1}));
  EXPECT_EQ(Queued(), V({2, 3}));
}

// An agent latched the CPU meanwhile: the thread stays first.
TEST_F(BpfFifoPickTest, BusyKeepsTheThreadAtTheHeadAndStops) {
  Queue({1, 2, 3});
  answers[1] = {-EBUSY};
  EXPECT_EQ(ghost_fifo_pick(), 0);
  EXPECT_EQ(tried, V({1}));
  EXPECT_EQ(Queued(), V({1, 2, 3}));
}

TEST_F(BpfFifoPickTest, OnCpuIsKeptInItsPlaceAndTheNextIsLatched) {
  Queue({1, 2, 3});
  answers[1] = {GHOST_TXN_TARGET_ONCPU};
  EXPECT_EQ(ghost_fifo_pick(), 1);
  EXPECT_EQ(tried, V({1, 2}));
  EXPECT_EQ(Queued(), V({1, 3}));
}

TEST_F(BpfFifoPickTest, FourAttemptsAtMostAndTheOrderKept) {
  Queue({1, 2, 3, 4, 5, 6});
  for (uint64_t g = 1; g <= 6; ++g) {
    answers[g] = {static_cast<int32_t>(g % 2 ? GHOST_TXN_TARGET_ONCPU
                                             : GHOST_TXN_CPU_NOT_ALLOWED)};
  }
  EXPECT_EQ(ghost_fifo_pick(), 0);
  EXPECT_EQ(tried, V({1, 2, 3, 4}));
  EXPECT_EQ(Queued(), V({1, 2, 3, 4, 5, 6}));
}

// Set aside, then the kernel's -EBUSY: both back, in their order.
TEST_F(BpfFifoPickTest, SetAsideThenBusyKeepsTheOrder) {
  Queue({1, 2, 3});
  answers[1] = {GHOST_TXN_TARGET_ONCPU};
  answers[2] = {-EBUSY};
  EXPECT_EQ(ghost_fifo_pick(), 0);
  EXPECT_EQ(Queued(), V({1, 2, 3}));
}

TEST_F(BpfFifoPickTest, ThreadsAMessageWillRequeueAreDropped) {
  Queue({1, 2, 3, 4});
  answers[1] = {GHOST_TXN_TARGET_NOT_RUNNABLE};
  answers[2] = {GHOST_TXN_TARGET_NOT_FOUND};
  EXPECT_EQ(ghost_fifo_pick(), 1);
  EXPECT_EQ(tried, V({1, 2, 3}));
  EXPECT_EQ(Queued(), V({4}));
}

TEST_F(BpfFifoPickTest, AStaleThreadIsTriedAgain) {
  Queue({1, 2});
  answers[1] = {GHOST_TXN_TARGET_STALE, GHOST_TXN_COMPLETE};
  EXPECT_EQ(ghost_fifo_pick(), 1);
  EXPECT_EQ(tried, V({1, 1}));
  EXPECT_EQ(Queued(), V({2}));
}

TEST_F(BpfFifoPickTest, AThreadStaleEachTimeStaysAfterFourAttempts) {
  Queue({1, 2, 3});
  answers[1] = {GHOST_TXN_TARGET_ONCPU};
  answers[2] = {GHOST_TXN_TARGET_STALE};
  EXPECT_EQ(ghost_fifo_pick(), 0);
  EXPECT_EQ(tried, V({1, 2, 2, 2}));
  EXPECT_EQ(Queued(), V({1, 2, 3}));
}

// Only NOT_FOUND (DEAD or DEPARTED follows) and NOT_RUNNABLE (WAKEUP or
// DEPARTED follows) drop a thread; every other answer keeps it.
TEST(BpfFifoFate, OnlyAnswersThatAMessageFollowsDrop) {
  for (int32_t r = GHOST_TXN_COMPLETE;
       r < GHOST_TXN_COMPLETE + GHOST_TXN_NR_RESULTS; ++r) {
    const bool drop =
        r == GHOST_TXN_TARGET_NOT_FOUND || r == GHOST_TXN_TARGET_NOT_RUNNABLE;
    EXPECT_EQ(ghost_fifo_fate(r) == GHOST_FIFO_DROP, drop) << "result " << r;
  }
  EXPECT_EQ(ghost_fifo_fate(GHOST_TXN_COMPLETE), GHOST_FIFO_DONE);
  EXPECT_EQ(ghost_fifo_fate(-EBUSY), GHOST_FIFO_STOP);
  EXPECT_EQ(ghost_fifo_fate(-EPERM), GHOST_FIFO_STOP);
  EXPECT_EQ(ghost_fifo_fate(GHOST_TXN_CPU_NOT_IN_ENCLAVE), GHOST_FIFO_STOP);
}

TEST_F(BpfFifoPickTest, TheRingWrapsAtBothEnds) {
  ASSERT_TRUE(fifo_add(2, 0));
  ASSERT_TRUE(fifo_add(1, 1));  // the head index wraps below 0
  ASSERT_TRUE(fifo_add(3, 0));
  EXPECT_EQ(Queued(), V({1, 2, 3}));
  __u64 g = 0;
  for (uint64_t want : {1, 2, 3}) {
    ASSERT_TRUE(fifo_pop(&g));
    EXPECT_EQ(g, want);
  }
  EXPECT_FALSE(fifo_pop(&g));
}

TEST_F(BpfFifoPickTest, AFullRingRefusesBothEnds) {
  for (uint64_t g = 0; g < GHOST_FIFO_CAPACITY; ++g) {
    ASSERT_TRUE(fifo_add(g, 0));
  }
  EXPECT_FALSE(fifo_add(99999, 0));
  EXPECT_FALSE(fifo_add(99999, 1));
  __u64 g = 1;
  ASSERT_TRUE(fifo_pop(&g));
  EXPECT_EQ(g, 0u);
  EXPECT_TRUE(fifo_add(99999, 1));
}

}  // namespace
}  // namespace ghost
