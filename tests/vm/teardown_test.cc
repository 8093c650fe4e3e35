// Teardown leaks nothing (kernel rule K15): after enclaves with agents,
// queues and threads are destroyed, /sys/fs/ghost/objects is back where it
// was.
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/abi/enclave.h"
#include "lib/abi/fd.h"
#include "lib/abi/ghost_run.h"
#include "lib/abi/ghostfs_mount.h"
#include "lib/abi/message_queue.h"
#include "lib/uapi/linux/ghost.h"
#include "tests/vm/blocked_child.h"
#include "tests/vm/fifo_test_agent.h"
#include "tests/vm/vm_helpers.h"
#include "tests/vm/wait_for.h"

namespace ghost {
namespace {

using ::ghost::testing::BlockedChild;
using ::ghost::testing::DestroyAllEnclaves;
using ::ghost::testing::FifoTestAgent;

std::string Objects() {
  absl::StatusOr<std::string> text =
      ReadGhostfsFile(absl::StrCat(GHOSTFS_MOUNT_POINT, "/objects"));
  return text.ok() ? *text : text.status().ToString();
}

// Waits up to `limit` for the counts to equal `want` (frees wait for RCU
// grace periods and work items); returns the last reading.
std::string ObjectsWithin(const std::string& want, absl::Duration limit) {
  std::string now;
  testing::WaitFor(
      [&] {
        now = Objects();
        return now == want;
      },
      limit);
  return now;
}

// One full life: an agent, an extra queue, threads that run, exit and stay.
void OneLife(unsigned int id) {
  absl::StatusOr<Enclave> e = Enclave::Create(id);
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_TRUE(e->SetCpus("1-2").ok());
  absl::StatusOr<std::unique_ptr<FifoTestAgent>> agent =
      FifoTestAgent::Start(*e, 1);
  ASSERT_TRUE(agent.ok()) << agent.status();
  absl::StatusOr<Fd> dir = OpenEnclaveDir(e->dir());
  ASSERT_TRUE(dir.ok());
  absl::StatusOr<MessageQueue> extra =
      MessageQueue::Create(dir->get(), 64, MessageQueue::kPlain);
  ASSERT_TRUE(extra.ok()) << extra.status();
  std::vector<std::unique_ptr<BlockedChild>> children;
  for (int i = 0; i < 8; ++i) {
    children.push_back(std::make_unique<BlockedChild>());
    ASSERT_TRUE(e->AddTask(children.back()->pid()).ok());
    children.back()->Poke();
  }
  for (int i = 0; i < 4; ++i) {
    children[i]->Poke('q');  // these exit inside the enclave
    EXPECT_EQ(children[i]->WaitExit(), 0);
  }
  ASSERT_TRUE(e->Destroy().ok());  // the others go back to CFS
}

TEST(TeardownTest, EverythingComesBackAfterFullLives) {
  ASSERT_TRUE(EnsureGhostfsMounted(GHOSTFS_MOUNT_POINT).ok());
  DestroyAllEnclaves();
  const std::string before = ObjectsWithin("enclaves 0\ntasks 0\nqueues 0\n",
                                           absl::Seconds(5));
  for (unsigned int id = 20; id < 23; ++id) OneLife(id);
  EXPECT_EQ(ObjectsWithin(before, absl::Seconds(10)), before);
}

TEST(TeardownTest, AnEnclaveWithoutCpusOrThreadsFreesEverything) {
  ASSERT_TRUE(EnsureGhostfsMounted(GHOSTFS_MOUNT_POINT).ok());
  DestroyAllEnclaves();
  const std::string before = ObjectsWithin("enclaves 0\ntasks 0\nqueues 0\n",
                                           absl::Seconds(5));
  {
    absl::StatusOr<Enclave> e = Enclave::Create(23);
    ASSERT_TRUE(e.ok());
    EXPECT_THAT(Objects(), ::testing::HasSubstr("enclaves "));
    ASSERT_TRUE(e->Destroy().ok());
  }
  EXPECT_EQ(ObjectsWithin(before, absl::Seconds(10)), before);
}

}  // namespace
}  // namespace ghost
