#include "lib/bpf/verifier_log.h"

#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/util/errno_status.h"

namespace ghost {

VerifierLog::VerifierLog() : buf_(kSize, '\0') {
  std::memset(&opts_, 0, sizeof(opts_));
  opts_.sz = sizeof(opts_);
  opts_.kernel_log_buf = buf_.data();
  opts_.kernel_log_size = buf_.size();
  // 0: libbpf asks for the log only when a load fails, then retries.
  opts_.kernel_log_level = 0;
}

std::string VerifierLog::text() const {
  return std::string(buf_.data(), strnlen(buf_.data(), buf_.size()));
}

std::string LogTail(absl::string_view log, int max_lines) {
  std::vector<absl::string_view> lines =
      absl::StrSplit(log, '\n', absl::SkipWhitespace());
  if (static_cast<int>(lines.size()) > max_lines) {
    lines.erase(lines.begin(), lines.end() - max_lines);
  }
  return absl::StrJoin(lines, "\n");
}

absl::Status VerifierLog::LoadStatus(int err, absl::string_view what) const {
  if (err == 0) return absl::OkStatus();
  const int code = err < 0 ? -err : err;
  const std::string tail = LogTail(text(), 12);
  return ErrnoStatus(
      code, absl::StrCat("loading the BPF programs of ", what),
      tail.empty() ? std::string()
                   : absl::StrCat("; the verifier said:\n", tail));
}

}  // namespace ghost
