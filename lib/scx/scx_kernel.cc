#include "lib/scx/scx_kernel.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "bpf/ghost_scx.skel.h"
#include "lib/scx/sched_ext_state.h"

namespace ghost::scx {

namespace {

// Linux 6.4+ names, missing from older uapi headers (the values are ABI).
constexpr uint32_t kBpfFLink = 1U << 13;       // BPF_F_LINK
constexpr uint32_t kBpfStructOpsAttach = 44;   // BPF_STRUCT_OPS

// The calling thread as an agent: its CPU (-1: not an agent), its status
// word, and whether a call found it detached (the scheduler stopped).
thread_local int tl_agent_cpu = -1;
thread_local uint32_t tl_agent_word = 0;
thread_local bool tl_detached = false;

// The data bytes of a ring for `nelems` messages: a power of two, at
// least a page (what the kernel requires of a BPF ring buffer).
uint64_t RingBytes(uint32_t nelems) {
  const uint64_t page = sysconf(_SC_PAGESIZE);
  uint64_t want = std::max<uint64_t>(uint64_t{nelems} * kRingRecordBytes, page);
  uint64_t bytes = page;
  while (bytes < want) bytes <<= 1;
  return bytes;
}

int DoorbellRang(void*, void*, size_t) { return 0; }

}  // namespace

absl::StatusOr<std::unique_ptr<ScxKernel>> ScxKernel::Load(
    std::vector<int> cpus, const std::string& sysfs) {
  if (cpus.empty()) return absl::InvalidArgumentError("no CPUs to schedule");
  for (int cpu : cpus) {
    if (cpu < 0 || cpu >= GHOST_SCX_MAX_CPUS) {
      return absl::InvalidArgumentError(absl::StrCat(
          "CPU ", cpu, ": the sched_ext backend knows CPUs 0-",
          GHOST_SCX_MAX_CPUS - 1));
    }
  }
  if (absl::Status s = CheckLoadable(ReadSchedExtState(sysfs)); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckKfuncs(); !s.ok()) return s;

  ghost_scx* skel = ghost_scx::open();
  if (skel == nullptr) {
    return absl::ErrnoToStatus(errno, "opening the sched_ext scheduler");
  }
  // Attach through a link: when the link's last fd closes (this object
  // goes, or the process dies) the kernel stops the scheduler.
  bpf_map__set_map_flags(skel->maps.ghost_ops,
                         bpf_map__map_flags(skel->maps.ghost_ops) | kBpfFLink);
  if (const int err = ghost_scx::load(skel)) {
    ghost_scx::destroy(skel);
    return absl::ErrnoToStatus(
        -err, "loading the sched_ext scheduler (the verifier's log is above)");
  }
  std::unique_ptr<ScxKernel> k(new ScxKernel(std::move(cpus), skel));
  if (absl::Status s = k->Attach(); !s.ok()) return s;
  return k;
}

ScxKernel::ScxKernel(std::vector<int> cpus, ghost_scx* skel)
    : cpus_(std::move(cpus)),
      skel_(skel),
      prog_fd_(bpf_program__fd(skel->progs.ghost_scx_run)),
      words_(StatusWordRegion::FromMemory(skel->bss->sw)),
      doorbells_(GHOST_SCX_MAX_CPUS) {
  for (int cpu = 0; cpu < GHOST_SCX_MAX_CPUS; ++cpu) {
    skel_->bss->cpu_conf[cpu].cpu_channel = GHOST_SCX_NO_CHANNEL;
    skel_->bss->cpu_data[cpu].cpu = cpu;
  }
  for (int cpu : cpus_) skel_->bss->cpu_conf[cpu].in_enclave = 1;
}

absl::Status ScxKernel::Attach() {
  // libbpf fills in the programs and stores the ops (a BPF_F_LINK map
  // does not register on update); the link registers them.
  bpf_link* prepared = bpf_map__attach_struct_ops(skel_->maps.ghost_ops);
  if (prepared == nullptr) {
    return absl::ErrnoToStatus(errno, "preparing the sched_ext ops");
  }
  bpf_link__disconnect(prepared);
  bpf_link__destroy(prepared);
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.link_create.prog_fd = bpf_map__fd(skel_->maps.ghost_ops);  // map_fd
  attr.link_create.attach_type = kBpfStructOpsAttach;
  link_fd_ = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
  if (link_fd_ < 0) {
    const int err = errno;
    return absl::ErrnoToStatus(
        err, absl::StrCat("attaching the sched_ext scheduler",
                          err == EBUSY || err == EEXIST
                              ? " (another sched_ext scheduler is loaded)"
                              : ""));
  }
  return absl::OkStatus();
}

ScxKernel::~ScxKernel() {
  // Stops the scheduler: the kernel moves its threads to the fair class.
  if (link_fd_ >= 0) close(link_fd_);
  for (Doorbell& d : doorbells_) {
    if (d.rb != nullptr) ring_buffer__free(d.rb);
    if (d.map_fd >= 0) close(d.map_fd);
  }
  {
    absl::MutexLock lock(&mu_);
    for (ChannelRecord& c : channels_) {
      c.channel.reset();
      c.ring.reset();
      if (c.map_fd >= 0) close(c.map_fd);
    }
  }
  ghost_scx::destroy(skel_);
}

int ScxKernel::Run(ghost_scx_args& args) {
  // A syscall program's context is copied back to ctx_in (ctx_out must
  // be unset).
  LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &args,
              .ctx_size_in = sizeof(args));
  if (bpf_prog_test_run_opts(prog_fd_, &opts) != 0) return -errno;
  return args.ret;
}

absl::StatusOr<Channel*> ScxKernel::CreateChannel(uint32_t nelems,
                                                  bool make_default) {
  if (nelems < GHOST_QUEUE_MIN_ELEMS || nelems > GHOST_QUEUE_MAX_ELEMS ||
      (nelems & (nelems - 1)) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("channel of ", nelems, " messages: a power of two from ",
                     GHOST_QUEUE_MIN_ELEMS, " to ", GHOST_QUEUE_MAX_ELEMS));
  }
  absl::MutexLock lock(&mu_);
  const uint32_t id = channels_.size();
  if (id >= GHOST_SCX_MAX_CHANNELS) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the sched_ext backend has ", GHOST_SCX_MAX_CHANNELS, " channels"));
  }
  const uint64_t bytes = RingBytes(nelems);
  const int fd =
      bpf_map_create(BPF_MAP_TYPE_RINGBUF, "ghost_chan", 0, 0, bytes, nullptr);
  if (fd < 0) return absl::ErrnoToStatus(errno, "creating a channel's ring");
  if (bpf_map_update_elem(bpf_map__fd(skel_->maps.channels), &id, &fd, 0)) {
    const int err = errno;
    close(fd);
    return absl::ErrnoToStatus(err, "installing a channel's ring");
  }
  absl::StatusOr<std::unique_ptr<BpfMessageRing>> ring =
      BpfMessageRing::Map(fd, bytes,
                          reinterpret_cast<const uint64_t*>(
                              &skel_->bss->channel_info[id].overflow));
  if (!ring.ok()) {
    close(fd);
    return ring.status();
  }
  ChannelRecord rec;
  rec.map_fd = fd;
  rec.ring = std::move(*ring);
  rec.channel = std::make_unique<Channel>(*rec.ring, id);
  channels_.push_back(std::move(rec));
  if (make_default) {
    std::atomic_ref<uint32_t>(skel_->data->default_channel)
        .store(id, std::memory_order_release);
  }
  return channels_.back().channel.get();
}

absl::Status ScxKernel::SetChannelWakeup(Channel& channel,
                                         absl::Span<const int> cpus) {
  const int id = channel.id();
  if (id < 0 || id >= GHOST_SCX_MAX_CHANNELS) {
    return absl::InvalidArgumentError(
        absl::StrCat("channel ", id, " was not created here"));
  }
  if (cpus.size() > GHOST_QUEUE_MAX_WAKEUP_CPUS) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a channel wakes at most ", GHOST_QUEUE_MAX_WAKEUP_CPUS, " agents"));
  }
  for (int cpu : cpus) {
    if (std::find(cpus_.begin(), cpus_.end(), cpu) == cpus_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("CPU ", cpu, " is not scheduled here"));
    }
  }
  ghost_scx_channel_info& info = skel_->bss->channel_info[id];
  std::atomic_ref<uint32_t> nr(info.nr_wake);
  nr.store(0, std::memory_order_release);
  for (size_t i = 0; i < cpus.size(); ++i) info.wake_cpus[i] = cpus[i];
  nr.store(cpus.size(), std::memory_order_release);
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> ScxKernel::AttachAgent(int cpu) {
  if (std::find(cpus_.begin(), cpus_.end(), cpu) == cpus_.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("CPU ", cpu, " is not scheduled here"));
  }
  // The agent runs on its CPU, in the fair class: above every SCHED_EXT
  // thread, so its wakeup takes the CPU from them at once.
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("pinning the agent to CPU ",
                                                   cpu));
  }
  (void)setpriority(PRIO_PROCESS, 0, -20);  // best effort
  Doorbell& d = doorbells_[cpu];
  if (d.rb == nullptr) {
    d.map_fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "ghost_bell", 0, 0,
                              sysconf(_SC_PAGESIZE), nullptr);
    if (d.map_fd < 0) {
      return absl::ErrnoToStatus(errno, "creating an agent's doorbell");
    }
    if (bpf_map_update_elem(bpf_map__fd(skel_->maps.doorbells), &cpu,
                            &d.map_fd, 0)) {
      return absl::ErrnoToStatus(errno, "installing an agent's doorbell");
    }
    d.rb = ring_buffer__new(d.map_fd, DoorbellRang, nullptr, nullptr);
    if (d.rb == nullptr) {
      return absl::ErrnoToStatus(errno, "watching an agent's doorbell");
    }
  }
  ghost_scx_args args = {.op = GHOST_SCX_OP_ATTACH, .cpu = cpu};
  const int ret = Run(args);
  if (ret < 0) {
    return absl::ErrnoToStatus(-ret,
                               absl::StrCat("attaching the agent of CPU ", cpu));
  }
  tl_agent_cpu = cpu;
  tl_agent_word = args.index;
  tl_detached = false;
  return args.index;
}

void ScxKernel::DetachAgent() {
  if (tl_agent_cpu < 0) return;
  ghost_scx_args args = {.op = GHOST_SCX_OP_DETACH, .cpu = tl_agent_cpu};
  (void)Run(args);
  tl_agent_cpu = -1;
}

int ScxKernel::Associate(const Channel& channel, uint64_t gtid,
                         uint32_t barrier) {
  ghost_scx_args args = {.op = GHOST_SCX_OP_ASSOC,
                         .gtid = gtid,
                         .barrier = barrier,
                         .channel = static_cast<uint32_t>(channel.id())};
  const int ret = Run(args);
  return ret < 0 ? -ret : 0;
}

ghost_txn* ScxKernel::Txn(int cpu) {
  return cpu >= 0 && cpu < GHOST_SCX_MAX_CPUS ? &skel_->bss->cpu_data[cpu]
                                              : nullptr;
}

int ScxKernel::Commit(const int* cpus, uint32_t nr_cpus, uint32_t flags,
                      uint32_t agent_barrier) {
  // All-or-nothing groups need the kernel to hold every CPU at once;
  // sched_ext dispatches CPU by CPU.
  if (flags & GHOST_COMMIT_F_SYNC_GROUP) return -EOPNOTSUPP;
  if (flags & ~(GHOST_COMMIT_F_SYNC_GROUP | GHOST_COMMIT_F_BLOCK)) {
    return -EINVAL;
  }
  const int caller = tl_agent_cpu;
  if (caller < 0) return -EPERM;
  if (nr_cpus > GHOST_SCX_MAX_CPUS) return -EINVAL;
  ghost_scx_commit_list& list = skel_->bss->commit_lists[caller];
  for (uint32_t i = 0; i < nr_cpus; ++i) list.cpus[i] = cpus[i];
  ghost_scx_args args = {.op = GHOST_SCX_OP_COMMIT,
                         .cpu = caller,
                         .nr = nr_cpus,
                         .agent_barrier = agent_barrier};
  const int ret = Run(args);
  if (ret == -EPERM || ret == -ENODEV) tl_detached = true;
  if (ret >= 0 && (flags & GHOST_COMMIT_F_BLOCK)) {
    (void)BlockAgent(agent_barrier);
  }
  return ret;
}

int ScxKernel::BlockAgent(uint32_t agent_barrier) {
  const int cpu = tl_agent_cpu;
  if (cpu < 0 || Exited()) {
    tl_detached = true;
    return EINVAL;
  }
  ring_buffer* rb = doorbells_[cpu].rb;
  // Rings heard before the barrier was read are old news.
  (void)ring_buffer__consume(rb);
  if (words_.Read(tl_agent_word).barrier != agent_barrier) return ESTALE;
  // A ring after the read above wakes us (the ring holds it). The timeout
  // only bounds how long a missed stop could go unnoticed.
  const int n = ring_buffer__poll(rb, /*timeout_ms=*/1000);
  if (n < 0 && n != -EINTR) return -n;
  if (Exited()) {
    tl_detached = true;
    return EINVAL;
  }
  return n == -EINTR ? EINTR : 0;
}

int ScxKernel::PingAgent(int cpu) {
  ghost_scx_args args = {.op = GHOST_SCX_OP_PING, .cpu = cpu};
  const int ret = Run(args);
  return ret < 0 ? -ret : 0;
}

absl::Status ScxKernel::EnableTicks() {
  std::atomic_ref<uint32_t>(skel_->bss->deliver_ticks)
      .store(1, std::memory_order_release);
  return absl::OkStatus();
}

int ScxKernel::SetCpuChannel(int cpu, const Channel& channel) {
  if (std::find(cpus_.begin(), cpus_.end(), cpu) == cpus_.end()) return EINVAL;
  std::atomic_ref<uint32_t>(skel_->bss->cpu_conf[cpu].cpu_channel)
      .store(channel.id(), std::memory_order_release);
  return 0;
}

int ScxKernel::FreeStatusWord(uint32_t region, uint32_t index) {
  if (region != 0) return EINVAL;
  ghost_scx_args args = {.op = GHOST_SCX_OP_SW_FREE, .index = index};
  const int ret = Run(args);
  return ret < 0 ? -ret : 0;
}

bool ScxKernel::CallerDetached() { return tl_detached; }

bool ScxKernel::Exited() const {
  return std::atomic_ref<uint32_t>(skel_->bss->exited)
             .load(std::memory_order_acquire) != 0;
}

std::string ScxKernel::ExitReason() const {
  if (!Exited()) return "";
  std::string why(skel_->bss->exit_reason,
                  strnlen(skel_->bss->exit_reason,
                          sizeof(skel_->bss->exit_reason)));
  const size_t n = strnlen(skel_->bss->exit_msg, sizeof(skel_->bss->exit_msg));
  if (n > 0) absl::StrAppend(&why, ": ", std::string(skel_->bss->exit_msg, n));
  return why;
}

absl::StatusOr<std::optional<std::string>> ScxKernel::WhyDestroyed() {
  if (!Exited()) return std::nullopt;
  return absl::StrCat("the sched_ext scheduler '", kSchedulerName,
                      "' was stopped: ", ExitReason());
}

const ghost_scx_stats& ScxKernel::stats() const { return skel_->bss->stats; }

}  // namespace ghost::scx
