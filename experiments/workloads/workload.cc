#include "experiments/workloads/workload.h"

#include <algorithm>
#include <functional>

#include "absl/strings/str_cat.h"
#include "experiments/workloads/churn.h"
#include "experiments/workloads/contention.h"
#include "experiments/workloads/oversubscription.h"
#include "experiments/workloads/workers.h"

namespace ghost::workloads {

namespace {

using Body = absl::Status (*)(int64_t, std::atomic<int64_t>&);

struct Kind {
  const char* name;
  int64_t default_ops;
  const char* unit;
  // One of the two: a body run by every worker, or a whole workload.
  Body body;
  std::function<absl::StatusOr<WorkerTimes>(const WorkloadArgs&)> run;
};

const Kind* Kinds() {
  static const Kind kinds[] = {
      {"fork", 300, "fork + exit + wait of a child", ForkChurn, nullptr},
      {"exec", 150, "fork + exec + exit + wait of a child", ExecChurn,
       nullptr},
      {"threads", 1500, "create + join of a thread", ThreadChurn, nullptr},
      {"yield", 20000, "lock, unlock, sched_yield()", nullptr,
       [](const WorkloadArgs& a) {
         return YieldLoop(a.threads, a.ops, a.limit);
       }},
      {"pipe", 20000, "a round trip of one byte (2 threads, --threads "
                      "ignored)",
       nullptr,
       [](const WorkloadArgs& a) { return PipePingPong(a.ops, a.limit); }},
      {"oversub", 100, "~10 us of computation (never blocks)", Compute,
       nullptr},
      {nullptr, 0, nullptr, nullptr, nullptr},
  };
  return kinds;
}

}  // namespace

const char* WorkloadHelp() {
  static const std::string help = [] {
    std::string h;
    for (const Kind* k = Kinds(); k->name != nullptr; ++k) {
      absl::StrAppend(&h, "  ", k->name, ": one unit is ", k->unit,
                      " (default ", k->default_ops, " per worker)\n");
    }
    return h;
  }();
  return help.c_str();
}

absl::StatusOr<WorkloadResult> RunWorkload(const std::string& name,
                                           const WorkloadArgs& args) {
  const Kind* k = Kinds();
  while (k->name != nullptr && name != k->name) ++k;
  if (k->name == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("no workload '", name, "'; there are:\n",
                     WorkloadHelp()));
  }
  if (args.threads < 1) {
    return absl::InvalidArgumentError("--threads must be at least 1");
  }
  WorkloadArgs a = args;
  if (a.ops <= 0) a.ops = k->default_ops;
  absl::StatusOr<WorkerTimes> t =
      k->body != nullptr
          ? RunWorkers(a.threads, a.limit,
                       [body = k->body, ops = a.ops](
                           int, std::atomic<int64_t>& done) {
                         return body(ops, done);
                       })
          : k->run(a);
  if (!t.ok()) return t.status();
  WorkloadResult r{.seconds = t->seconds, .ops = t->ops};
  if (!t->each.empty()) {
    r.slowest_s = *std::max_element(t->each.begin(), t->each.end());
    r.fastest_s = *std::min_element(t->each.begin(), t->each.end());
  }
  return r;
}

}  // namespace ghost::workloads
