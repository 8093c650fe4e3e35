#include "tests/vm/fuzz/churn.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "lib/abi/enclave.h"
#include "tests/vm/fuzz/abi_rules.h"
#include "tests/vm/fuzz/fuzz_write.h"
#include "tests/vm/fuzz/inputs.h"
#include "tests/vm/fuzz/layout.h"
#include "tests/vm/fuzz/syscalls.h"
#include "tests/vm/fuzz/system_view.h"
#include "tests/vm/fuzz/trace.h"

namespace ghost::fuzz {

void Churn::Run() {
  SetTraceName("churn");
  while (!w_.stop.load()) {
    absl::SleepFor(absl::Milliseconds(rng_.Range(5, 40)));
    Step();
  }
  if (ephemeral_fd_ >= 0) close(ephemeral_fd_);
}

void Churn::MakeHome() {
  Create(kHomeId);
  for (const std::string& cpus : {RandomCpuSet(rng_), std::string("1-3"),
                                  std::string("1"), std::string("2"),
                                  std::string("3")}) {
    w_.evictions.fetch_add(1);
    const bool written =
        WriteGhostfsFile(EnclaveDir(kHomeId) + "/cpulist", cpus).ok();
    w_.evictions.fetch_add(1);
    if (written) break;
  }
  for (int i = 0; i < kWorkers; ++i) MoveWorker(kHomeId);
}

void Churn::Step() {
  // The home enclave goes only on purpose (cases 7-8), now and then.
  const unsigned int id =
      kPoolBase + 1 + static_cast<unsigned int>(rng_.Below(kPoolSize - 1));
  switch (rng_.Below(20)) {
    case 0:
    case 1:
    case 2:
    case 3:
      Create(id);
      SetCpus(id, RandomCpuSet(rng_));
      if (rng_.OneIn(3)) SetTimeout(id);
      break;
    case 4:
    case 5:
    case 6:
      Destroy(id, rng_.OneIn(2));
      break;
    case 7:
    case 8:
      // The agent and the workers are in there.
      if (rng_.OneIn(3)) {
        Destroy(kHomeId, rng_.OneIn(2));
        MakeHome();
      }
      break;
    case 9:
    case 10:
    case 11:
    case 12:
      MoveWorker(rng_.OneIn(2) ? kHomeId : id);
      break;
    case 13:
    case 14:
      SetCpus(id, RandomCpuSet(rng_));
      break;
    case 15:
      Hotplug();
      break;
    case 16:
      Ephemeral();
      break;
    default: {
      const std::vector<unsigned int> ids = LiveIds();
      if (!std::count(ids.begin(), ids.end(), kHomeId)) MakeHome();
      break;
    }
  }
}

// An ephemeral enclave lives while the ctl file it was created through
// is open: kept open for a few steps (workers may move in), then closed.
void Churn::Ephemeral() {
  const unsigned int id = kPoolBase + 40;  // nobody else uses it
  if (ephemeral_fd_ < 0) {
    ephemeral_fd_ = open((kMount + "/ctl").c_str(), O_WRONLY | O_CLOEXEC);
    const std::string cmd = absl::StrCat("create ", id, " ephemeral");
    Trace(cmd);
    const Outcome o = Check(write(ephemeral_fd_, cmd.data(), cmd.size()));
    w_.ledger.Record("churn.ephemeral", o.ok, o.err, {{EEXIST}, true}, cmd);
    if (o.ok) SetCpus(id, RandomCpuSet(rng_));
    return;
  }
  Trace("close the ephemeral enclave's ctl");
  close(ephemeral_fd_);
  ephemeral_fd_ = -1;
  // The release destroys it from a work item: soon, not at once.
  const absl::Time end = absl::Now() + absl::Seconds(5);
  while (access(EnclaveDir(id).c_str(), F_OK) == 0 && absl::Now() < end) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  if (access(EnclaveDir(id).c_str(), F_OK) == 0) {
    w_.ledger.Problem("churn.ephemeral", "outlived its ctl file",
                      EnclaveDir(id));
  }
}

void Churn::Create(unsigned int id) {
  FuzzWrite(w_, "churn.create", kMount + "/ctl", absl::StrCat("create ", id),
            {{EEXIST}, true}, /*enclave_file=*/false);
}

void Churn::Destroy(unsigned int id, bool own_ctl) {
  if (own_ctl) {
    FuzzWrite(w_, "churn.destroy", EnclaveDir(id) + "/ctl", "destroy",
              {{ENODEV}, true});
  } else {
    FuzzWrite(w_, "churn.destroy", kMount + "/ctl",
              absl::StrCat("destroy ", id), {{ENOENT, ENODEV}, true},
              /*enclave_file=*/false);
  }
}

void Churn::SetCpus(unsigned int id, const std::string& cpus) {
  FuzzWrite(w_, "churn.cpulist", EnclaveDir(id) + "/cpulist", cpus,
            {kCpulistErrnos, true});
}

void Churn::SetTimeout(unsigned int id) {
  const std::string path = EnclaveDir(id) + "/runnable_timeout";
  if (access(path.c_str(), F_OK) != 0) return;
  FuzzWrite(w_, "churn.runnable_timeout", path,
            absl::StrCat(rng_.Pick<int>({0, 1, 20, 300, 10000})),
            {kTimeoutErrnos, true});
}

void Churn::MoveWorker(unsigned int id) {
  const pid_t tid = w_.SleepingWorker(rng_);
  if (tid == 0) return;
  FuzzWrite(w_, "churn.tasks", EnclaveDir(id) + "/tasks", absl::StrCat(tid),
            {kTasksErrnos, true});
}

// A CPU goes offline, the one a rogue agent is on if any (never CPU 0),
// else CPU 3: it leaves its enclave, and no enclave can take it (EINVAL)
// until it is back.
void Churn::Hotplug() {
  int cpu = w_.agent_cpu[rng_.Below(World::kAgents)].load();
  if (cpu < 1 || cpu > kLastCpu) cpu = kLastCpu;
  const std::string online = CpuOnlinePath(cpu);
  if (!w_.config.hotplug || access(online.c_str(), W_OK) != 0 ||
      absl::Now() - last_hotplug_ < absl::Seconds(4)) {
    return;
  }
  last_hotplug_ = absl::Now();
  const std::set<int> hotplug_errnos = {EBUSY, EINVAL, EAGAIN, EIO, EPERM};
  w_.hotplug.store(true);
  FuzzWrite(w_, "hotplug.offline", online, "0", {hotplug_errnos, true},
            /*enclave_file=*/false);
  absl::StatusOr<std::string> state = ReadGhostfsFile(online);
  if (state.ok() && *state == "0\n") CheckOffline(cpu);
  FuzzWrite(w_, "hotplug.online", online, "1", {hotplug_errnos, true},
            /*enclave_file=*/false);
  w_.hotplug.store(false);
}

void Churn::CheckOffline(int cpu) {
  for (unsigned int id : LiveIds()) {
    const std::vector<int> cpus = EnclaveCpus(id);
    if (std::count(cpus.begin(), cpus.end(), cpu)) {
      w_.ledger.Problem("hotplug", "an offline CPU is still in an enclave",
                        absl::StrCat("enclave ", id));
    }
  }
  const unsigned int id =
      kPoolBase + static_cast<unsigned int>(rng_.Below(kPoolSize));
  FuzzWrite(w_, "cpulist.offline_cpu", EnclaveDir(id) + "/cpulist",
            absl::StrCat(cpu), {kCpulistErrnos, false});
  absl::SleepFor(absl::Milliseconds(rng_.Range(20, 300)));
}


}  // namespace ghost::fuzz
