// VerifierLog: keeps what the kernel's BPF verifier says while a libbpf
// object loads, so that a refused program fails with the reason in words.
//
//   VerifierLog log;
//   auto* skel = foo__open_opts(log.open_opts());
//   absl::Status s = log.LoadStatus(foo__load(skel), "foo");
#ifndef GHOST_LIB_BPF_VERIFIER_LOG_H_
#define GHOST_LIB_BPF_VERIFIER_LOG_H_

#include <bpf/libbpf.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ghost {

class VerifierLog {
 public:
  // 1 MiB: the verifier's log of a refused program is seldom longer; a
  // longer one is cut at the end.
  static constexpr size_t kSize = 1 << 20;

  VerifierLog();
  VerifierLog(const VerifierLog&) = delete;
  VerifierLog& operator=(const VerifierLog&) = delete;

  // Options for <skeleton>__open_opts(); valid while this object lives.
  const bpf_object_open_opts* open_opts() const { return &opts_; }

  // OK if `err` (what <skeleton>__load() returned) is 0; otherwise an
  // error naming `what`, with the errno and the verifier's last lines.
  absl::Status LoadStatus(int err, absl::string_view what) const;

  // The log so far (empty when every program loaded at once).
  std::string text() const;

 private:
  std::vector<char> buf_;
  bpf_object_open_opts opts_;
};

// The last lines of `log` that say why: at most `max_lines`, the
// verifier's verdict last.
std::string LogTail(absl::string_view log, int max_lines);

}  // namespace ghost

#endif  // GHOST_LIB_BPF_VERIFIER_LOG_H_
