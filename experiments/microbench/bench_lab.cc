#include "experiments/microbench/bench_lab.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "experiments/microbench/cpu_layout.h"
#include "lib/abi/ghost_run.h"
#include "lib/uapi/linux/ghost.h"

namespace ghost::bench {

absl::StatusOr<Lab> MakeLab(unsigned int id, bool wake_agent,
                            int runnable_timeout_ms, const CpuLayout& layout) {
  Lab lab;
  lab.layout = layout;
  // A leftover of an earlier run of the bench.
  (void)WriteGhostfsFile(absl::StrCat(GHOSTFS_MOUNT_POINT, "/ctl"),
                         absl::StrCat("destroy ", id));
  absl::StatusOr<Enclave> e = Enclave::Create(id);
  if (!e.ok()) return e.status();
  lab.enclave = std::make_unique<Enclave>(*e);
  if (absl::Status s = lab.enclave->SetCpus(layout.EnclaveCpus()); !s.ok()) return s;
  if (absl::Status s = WriteGhostfsFile(
          absl::StrCat(lab.enclave->dir(), "/runnable_timeout"),
          absl::StrCat(runnable_timeout_ms));
      !s.ok()) {
    return s;
  }
  absl::StatusOr<Fd> dir = OpenEnclaveDir(lab.enclave->dir());
  if (!dir.ok()) return dir.status();
  lab.dir = std::move(*dir);
  absl::StatusOr<MessageQueue> q =
      MessageQueue::Create(lab.dir.get(), 4096, MessageQueue::kDefault);
  if (!q.ok()) return q.status();
  lab.queue = std::make_unique<MessageQueue>(std::move(*q));
  if (wake_agent) {
    const int wake[] = {kAgentCpu};
    if (absl::Status s = lab.queue->SetWakeupCpus(wake); !s.ok()) return s;
  }
  absl::StatusOr<CpuDataRegion> cpu_data =
      CpuDataRegion::Map(lab.enclave->dir());
  if (!cpu_data.ok()) return cpu_data.status();
  lab.cpu_data = std::make_unique<CpuDataRegion>(std::move(*cpu_data));
  absl::StatusOr<StatusWordRegion> words =
      StatusWordRegion::Map(lab.enclave->dir());
  if (!words.ok()) return words.status();
  lab.words = std::make_unique<StatusWordRegion>(std::move(*words));
  return lab;
}

std::string DestroyedReason(const Lab& lab) {
  return ::ghost::DestroyedReason(lab.enclave->mount_point(),
                                  lab.enclave->id());
}

}  // namespace ghost::bench
