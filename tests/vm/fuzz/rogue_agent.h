// RogueAgent: an agent that attaches to an enclave CPU and commits random
// transactions (wrong gtids, stale barriers, foreign or offline CPUs, bad
// run flags, mixed sync groups, garbage slot states) while the workers
// sleep, yield and spin in its enclave. Each result goes to the ledger.
//
// It sleeps after every burst of at most a few operations: an agent
// outranks everything on its CPU, so it must never spin (the pinger wakes
// it when it blocks in ghost_run()).
//
//   RogueAgent agent(world, 0);
//   std::thread t([&] { agent.Run(); });  // until world.stop
#ifndef GHOST_TESTS_VM_FUZZ_ROGUE_AGENT_H_
#define GHOST_TESTS_VM_FUZZ_ROGUE_AGENT_H_

#include <sched.h>

#include <cstdint>
#include <string>
#include <vector>

#include "lib/uapi/linux/ghost.h"
#include "tests/vm/fuzz/rng.h"
#include "tests/vm/fuzz/world.h"

namespace ghost::fuzz {

class RogueAgent {
 public:
  // Agent `index` (0 or 1) of World::kAgents.
  RogueAgent(World& w, int index)
      : w_(w), index_(index), rng_(w.config.seed, 100 + index) {}
  RogueAgent(const RogueAgent&) = delete;
  RogueAgent& operator=(const RogueAgent&) = delete;

  // Attaches, fuzzes and leaves again until the world stops.
  void Run();

 private:
  static bool StillAgent() { return sched_getscheduler(0) == SCHED_GHOST; }
  bool MayHaveBeenEvicted(uint64_t epoch) const;
  bool Attach();
  void MapRegions(const std::string& dir);
  void* MapFile(const std::string& path, int mode, size_t len, int prot);
  void CheckPinned();
  void Leave();
  void Unmap();
  void Burst();
  void Faulted(const char* what);
  uint32_t AgentBarrier();
  uint32_t TaskBarrier(uint64_t gtid);
  uint64_t PickTarget();
  uint32_t PickRunFlags();
  void FillSlot(int cpu);
  int PickCommitCpu(const std::vector<int>& so_far);
  void Commit();
  bool CommitDefect(ghost_commit_args* args, std::vector<int>* cpus);
  void CheckSlots(const std::vector<int>& cpus, const std::string& input);
  bool StillClaimed(const ghost_txn* txn);
  void Block();
  void Ping();
  void CreateQueue(bool default_queue);
  void QueueOp();
  void SwFree();
  void AttachAgain();
  void MoveWorkerIn();

  World& w_;
  const int index_;
  FuzzRng rng_;
  unsigned int id_ = 0;
  int cpu_ = -1;
  std::vector<int> cpus_;
  int dir_fd_ = -1;
  void* txns_ = nullptr;
  void* words_ = nullptr;
  uint32_t sw_index_ = 0;
  std::vector<int> queues_;
};

}  // namespace ghost::fuzz

#endif  // GHOST_TESTS_VM_FUZZ_ROGUE_AGENT_H_
