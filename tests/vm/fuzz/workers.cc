#include "tests/vm/fuzz/workers.h"

#include <sched.h>
#include <sys/resource.h>

#include <cerrno>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/vm/fuzz/layout.h"
#include "tests/vm/fuzz/syscalls.h"

namespace ghost::fuzz {
namespace {

void Spin(absl::Duration d) {
  const absl::Time end = absl::Now() + d;
  while (absl::Now() < end) {
  }
}

}  // namespace

// What a worker does next: mostly sleep, yield and spin; now and then
// change its affinity (a latch elsewhere becomes impossible) or nice value,
// or start a short-lived thread (born in the enclave if the worker is a
// ghost thread).
void WorkerStep(FuzzRng& rng, WorkerOutcomes& outcomes) {
  switch (rng.Below(12)) {
    case 0:
    case 1:
    case 2:
      absl::SleepFor(absl::Microseconds(rng.Range(50, 2000)));
      break;
    case 3:
    case 4:
      sched_yield();
      break;
    case 5:
    case 6:
      Spin(absl::Microseconds(rng.Range(10, 500)));
      break;
    case 7: {
      cpu_set_t set;
      CPU_ZERO(&set);
      const uint64_t mask = rng.Range(1, 15);
      for (int c = 0; c < kNrCpus; ++c) {
        if (mask & (1u << c)) CPU_SET(c, &set);
      }
      const Outcome o = Check(sched_setaffinity(0, sizeof(set), &set));
      outcomes.Note(WorkerCall::kAffinity, o.ok, o.err,
                    absl::StrCat("mask ", mask));
      break;
    }
    case 8: {
      const Outcome o =
          Check(setpriority(PRIO_PROCESS, 0, static_cast<int>(rng.Range(-5, 10))));
      outcomes.Note(WorkerCall::kNice, o.ok, o.err, "setpriority");
      break;
    }
    case 9: {
      std::thread child([] {
        Spin(absl::Microseconds(100));
        absl::SleepFor(absl::Microseconds(200));
      });
      child.join();
      outcomes.Note(WorkerCall::kChild, true, 0, "");
      break;
    }
    default:
      absl::SleepFor(absl::Milliseconds(rng.Range(1, 10)));
      break;
  }
}

}  // namespace ghost::fuzz
