#include "lib/scx/sched_ext_state.h"

#include <bpf/btf.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ghost::scx {

namespace {

bool ReadLine(const std::string& path, std::string* out) {
  std::ifstream in(path);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *out = std::string(absl::StripAsciiWhitespace(ss.str()));
  return true;
}

// The 6.12 names the scheduler uses; their absence means a kernel whose
// sched_ext differs (6.13+ renamed the dispatch kfuncs).
constexpr const char* kKfuncs[] = {"scx_bpf_dispatch", "scx_bpf_kick_cpu",
                                   "scx_bpf_reenqueue_local",
                                   "scx_bpf_task_cpu"};

}  // namespace

SchedExtState ReadSchedExtState(const std::string& sysfs) {
  SchedExtState s;
  const std::string dir = sysfs + "/kernel/sched_ext";
  s.present = ReadLine(dir + "/state", &s.state);
  if (!s.present) return s;
  ReadLine(dir + "/root/ops", &s.ops);
  std::string seq;
  if (ReadLine(dir + "/enable_seq", &seq)) {
    (void)absl::SimpleAtoi(seq, &s.enable_seq);
  }
  return s;
}

absl::Status CheckLoadable(const SchedExtState& s) {
  if (!s.present) {
    return absl::FailedPreconditionError(
        "this kernel has no sched_ext (no /sys/kernel/sched_ext): the "
        "sched_ext backend needs Linux 6.12 built with "
        "CONFIG_SCHED_CLASS_EXT=y");
  }
  if (s.state != "disabled") {
    return absl::FailedPreconditionError(absl::StrCat(
        "sched_ext is ", s.state, " with scheduler '", s.ops,
        "' loaded; one scheduler at a time: stop it first",
        s.ops == kSchedulerName ? " (another ghost agent?)" : ""));
  }
  return absl::OkStatus();
}

absl::Status CheckKfuncs(const std::string& vmlinux_btf) {
  if (access(vmlinux_btf.c_str(), R_OK) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no kernel BTF at ", vmlinux_btf,
        ": the sched_ext backend needs CONFIG_DEBUG_INFO_BTF"));
  }
  struct btf* btf = btf__parse(vmlinux_btf.c_str(), nullptr);
  if (btf == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot parse the kernel BTF at ", vmlinux_btf));
  }
  std::string missing;
  for (const char* name : kKfuncs) {
    if (btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) < 0) {
      absl::StrAppend(&missing, missing.empty() ? "" : ", ", name);
    }
  }
  btf__free(btf);
  if (!missing.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "this kernel's sched_ext lacks ", missing,
        ": the sched_ext backend supports the sched_ext of Linux 6.12 "
        "(later kernels renamed scx_bpf_dispatch to scx_bpf_dsq_insert)"));
  }
  return absl::OkStatus();
}

}  // namespace ghost::scx
