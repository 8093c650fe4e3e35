// Churn: the thread that changes the world under the rogue agents. It
// creates and destroys enclaves, gives them CPUs and timeouts, moves
// workers between them, destroys the rogue agent's enclave under it, keeps
// an ephemeral enclave for a while and takes an agent's CPU (or CPU 3)
// offline and back.
//
//   Churn churn(world);
//   churn.MakeHome();                     // before the agents start
//   std::thread t([&] { churn.Run(); });  // until world.stop
#ifndef GHOST_TESTS_VM_FUZZ_CHURN_H_
#define GHOST_TESTS_VM_FUZZ_CHURN_H_

#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/vm/fuzz/rng.h"
#include "tests/vm/fuzz/world.h"

namespace ghost::fuzz {

class Churn {
 public:
  explicit Churn(World& w) : w_(w), rng_(w.config.seed, 300) {}
  Churn(const Churn&) = delete;
  Churn& operator=(const Churn&) = delete;

  // One random change every few milliseconds until the world stops.
  void Run();

  // The rogue agent's usual enclave, with CPUs and the workers.
  void MakeHome();

 private:
  void Step();
  void Ephemeral();
  void Create(unsigned int id);
  void Destroy(unsigned int id, bool own_ctl);
  void SetCpus(unsigned int id, const std::string& cpus);
  void SetTimeout(unsigned int id);
  void MoveWorker(unsigned int id);
  void Hotplug();
  void CheckOffline(int cpu);

  World& w_;
  FuzzRng rng_;
  // The first hotplug comes after ~10 s: everything else gets its turn
  // first, should taking a CPU away break the kernel.
  absl::Time last_hotplug_ = absl::Now() + absl::Seconds(6);
  int ephemeral_fd_ = -1;
};

}  // namespace ghost::fuzz

#endif  // GHOST_TESTS_VM_FUZZ_CHURN_H_
