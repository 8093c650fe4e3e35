#include "lib/agent/agent_group.h"

#include <cerrno>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace ghost {

namespace {

// What AttachAgent() says while the CPU still has another agent (EBUSY).
bool CpuHasAgent(const absl::Status& s) {
  return s.code() == absl::ErrnoToStatusCode(EBUSY);
}

}  // namespace

absl::StatusOr<std::unique_ptr<AgentGroup>> AgentGroup::Start(
    KernelInterface& kernel, absl::Span<const int> cpus, AgentLoop& loop,
    absl::Duration attach_timeout, DestroyedCallback on_destroyed) {
  std::unique_ptr<AgentGroup> group(
      new AgentGroup(kernel, loop, std::move(on_destroyed)));
  group->cpus_.assign(cpus.begin(), cpus.end());
  const absl::Time deadline = absl::Now() + attach_timeout;
  for (int cpu : cpus) {
    group->threads_.emplace_back(
        [g = group.get(), cpu, deadline] { g->Run(cpu, deadline); });
  }
  absl::Status failure;
  {
    absl::MutexLock lock(&group->mu_);
    auto settled = [g = group.get()]() ABSL_SHARED_LOCKS_REQUIRED(g->mu_) {
      return !g->failure_.ok() ||
             g->attached_ == static_cast<int>(g->cpus_.size());
    };
    group->mu_.Await(absl::Condition(&settled));
    failure = group->failure_;
  }
  if (!failure.ok()) {
    group->Stop();
    return failure;
  }
  const absl::Time before = absl::Now();
  loop.AllAttached();
  group->all_attached_time_ = absl::Now() - before;
  group->go_.store(true);
  return group;
}

void AgentGroup::Stop() {
  stop_.store(true);
  go_.store(true);
  // Pings wake agents asleep in the kernel. One that read its barrier
  // after a ping sleeps through it, so ping until each thread is out.
  while (exited_.load() < static_cast<int>(threads_.size())) {
    for (int cpu : cpus_) (void)kernel_.PingAgent(cpu);
    absl::SleepFor(absl::Milliseconds(1));
  }
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void AgentGroup::Run(int cpu, absl::Time attach_deadline) {
  absl::StatusOr<uint32_t> sw;
  const absl::Time start = absl::Now();
  for (;;) {
    sw = kernel_.AttachAgent(cpu);
    // EBUSY: the previous agent is still leaving.
    if (sw.ok() || !CpuHasAgent(sw.status()) || absl::Now() > attach_deadline ||
        stopping()) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(1));
  }
  if (!sw.ok()) {
    exited_.fetch_add(1);
    absl::MutexLock lock(&mu_);
    if (failure_.ok()) {
      failure_ = absl::Status(
          sw.status().code(),
          absl::StrCat(sw.status().message(),
                       CpuHasAgent(sw.status())
                           ? " (another agent still holds the CPU: stop it, "
                             "or let agent_fifo take over with --takeover)"
                           : ""));
    }
    return;
  }
  const int64_t waited = absl::ToInt64Nanoseconds(absl::Now() - start);
  int64_t max = max_wait_ns_.load();
  while (waited > max && !max_wait_ns_.compare_exchange_weak(max, waited)) {
  }
  loop_.AgentAttached(cpu, *sw);
  {
    absl::MutexLock lock(&mu_);
    ++attached_;
  }
  while (!go_.load()) absl::SleepFor(absl::Microseconds(100));
  while (!stopping()) {
    loop_.Round(cpu);
    if (kernel_.CallerDetached()) {
      Detached(cpu);
      exited_.fetch_add(1);
      return;  // a CFS thread already: nothing to leave
    }
  }
  kernel_.DetachAgent();
  exited_.fetch_add(1);
}

void AgentGroup::Detached(int cpu) {
  absl::StatusOr<std::optional<std::string>> why = kernel_.WhyDestroyed();
  if (!why.ok()) {
    // Say something rather than nothing: the agent is gone either way.
    why = std::optional<std::string>(absl::StrCat(
        "the agent of CPU ", cpu, " was detached, and asking why failed (",
        why.status().message(), ")"));
  }
  bool first = false;
  {
    absl::MutexLock lock(&mu_);
    if (!why->has_value()) {
      detached_cpus_.push_back(cpu);
      return;
    }
    first = !destroyed_.has_value();
    if (first) destroyed_ = **why;
  }
  if (first && on_destroyed_) on_destroyed_();
}

std::optional<std::string> AgentGroup::destroyed() const {
  absl::MutexLock lock(&mu_);
  return destroyed_;
}

std::vector<int> AgentGroup::detached_cpus() const {
  absl::MutexLock lock(&mu_);
  return detached_cpus_;
}

}  // namespace ghost
