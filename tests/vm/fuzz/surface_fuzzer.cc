#include "tests/vm/fuzz/surface_fuzzer.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/vm/fuzz/abi_rules.h"
#include "tests/vm/fuzz/fuzz_write.h"
#include "tests/vm/fuzz/layout.h"
#include "tests/vm/fuzz/syscalls.h"
#include "tests/vm/fuzz/system_view.h"
#include "tests/vm/fuzz/trace.h"

namespace ghost::fuzz {

void SurfaceFuzzer::RunCorpus() {
  const std::string home = EnclaveDir(kHomeId);
  const std::string id = absl::StrCat(kPoolBase + 1);
  for (const std::string& in : BadCtlInputs(id)) {
    FuzzWrite(w_, "ctl", kMount + "/ctl", in, {kTopCtlErrnos, false},
              /*enclave_file=*/false);
  }
  const struct {
    const char* file;
    const std::vector<std::string>* inputs;
    const std::set<int>* errnos;
  } files[] = {{"cpulist", &kBadCpulists, &kCpulistErrnos},
               {"tasks", &kBadTids, &kTasksErrnos},
               {"deliver_ticks", &kBadTicks, &kTicksErrnos},
               {"runnable_timeout", &kBadTimeouts, &kTimeoutErrnos},
               {"ctl", &kBadEnclaveCtl, &kEnclaveCtlErrnos}};
  for (const auto& f : files) {
    const std::string kind =
        std::string(f.file) == "ctl" ? "enclave_ctl" : f.file;
    for (const std::string& in : *f.inputs) {
      FuzzWrite(w_, kind, home + "/" + f.file, in, {*f.errnos, false});
    }
  }
  for (pid_t tid : w_.kthreads) {
    FuzzWrite(w_, "tasks", home + "/tasks", absl::StrCat(tid),
              {kTasksErrnos, false});
  }
}

void SurfaceFuzzer::Step() {
  if (rng_.OneIn(100)) run_.RefreshDirs();
  if (rng_.OneIn(8)) fds_.ids = LiveIds();
  switch (rng_.Below(20)) {
    case 0:
    case 1:
      TopCtl();
      break;
    case 2:
    case 3:
    case 4:
    case 5:
    case 6:
      EnclaveWrite();
      break;
    case 7:
    case 8:
    case 9:
      Read();
      break;
    case 10:
    case 11:
    case 12:
    case 13:
    case 14:
      run_.GhostRun();
      break;
    case 15:
    case 16:
      maps_.Mmap();
      break;
    case 17:
      maps_.Scribble();
      break;
    case 18:
      ReadOnlyWrite();
      break;
    default:
      PollAgentOnline();
      break;
  }
}

void SurfaceFuzzer::TopCtl() {
  const Input in = TopCtlInput(rng_);
  FuzzWrite(w_, "ctl", kMount + "/ctl", in.text,
            {kTopCtlErrnos, !in.must_fail}, /*enclave_file=*/false);
  if (rng_.OneIn(20)) {
    // A buffer the kernel cannot read.
    const int fd = open((kMount + "/ctl").c_str(), O_WRONLY | O_CLOEXEC);
    Trace("write ctl from a NULL buffer");
    const char* volatile unreadable = nullptr;
    const Outcome o = Check(write(fd, unreadable, 10));
    close(fd);
    w_.ledger.Record("ctl.bad_buffer", o.ok, o.err, {{EFAULT}, false},
                     "write(ctl, NULL, 10)");
  }
}

void SurfaceFuzzer::EnclaveWrite() {
  const std::vector<unsigned int>& ids = fds_.ids;
  if (ids.empty()) return;
  const unsigned int id = rng_.Pick(ids);
  const std::string dir = EnclaveDir(id);
  switch (rng_.Below(9)) {
    case 0:
      EnclaveCtl(dir);
      break;
    case 1:
    case 2:
    case 3: {
      const Input in = CpulistInput(rng_);
      FuzzWrite(w_, "cpulist", dir + "/cpulist", in.text,
                {kCpulistErrnos, !in.must_fail});
      break;
    }
    case 4:
    case 5: {
      const Input in = TasksInput(w_, rng_);
      FuzzWrite(w_, "tasks", dir + "/tasks", in.text,
                {kTasksErrnos, !in.must_fail});
      break;
    }
    case 6:
      OptionalWrite("deliver_ticks", dir, TicksInput(rng_), kTicksErrnos);
      break;
    default:
      OptionalWrite("runnable_timeout", dir, TimeoutInput(rng_),
                    kTimeoutErrnos);
      break;
  }
}

// Files the kernel patches being merged add: skipped where absent.
void SurfaceFuzzer::OptionalWrite(const std::string& name, const std::string& dir,
                   const Input& in, const std::set<int>& errnos) {
  const std::string path = dir + "/" + name;
  if (access(path.c_str(), F_OK) != 0) return;
  FuzzWrite(w_, name, path, in.text, {errnos, !in.must_fail});
}

void SurfaceFuzzer::EnclaveCtl(const std::string& dir) {
  // "destroy" kills the enclave: rarely, the churn thread does it too.
  if (rng_.OneIn(15)) {
    FuzzWrite(w_, "enclave_ctl", dir + "/ctl",
              rng_.OneIn(2) ? "destroy" : "destroy\n",
              {kEnclaveCtlErrnos, true});
    return;
  }
  const std::string bad = rng_.Pick(kBadEnclaveCtl);
  FuzzWrite(w_, "enclave_ctl", dir + "/ctl", bad, {kEnclaveCtlErrnos, false});
}

// Files no one may write, root included: opening fails with EACCES.
void SurfaceFuzzer::ReadOnlyWrite() {
  const std::vector<unsigned int>& ids = fds_.ids;
  std::string path = kMount + "/version";
  if (!ids.empty() && rng_.OneIn(2)) {
    path = EnclaveDir(rng_.Pick(ids)) + "/" +
           rng_.Pick<std::string>({"status", "stats", "agent_online"});
  } else if (rng_.OneIn(2)) {
    path = kMount + "/destroyed";
  }
  if (access(path.c_str(), F_OK) != 0) return;
  Trace(absl::StrCat("open for write ", path));
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  const Outcome o = Check(fd);
  if (fd >= 0) close(fd);
  // ENOENT or ENODEV: the file's enclave went, or is going (abi.md).
  w_.ledger.Record("readonly_open", o.ok, o.err,
                   {{EACCES, ENOENT, ENODEV}, false}, path);
}

std::string SurfaceFuzzer::RandomPath() {
  const std::vector<unsigned int>& ids = fds_.ids;
  if (ids.empty() || rng_.OneIn(4)) {
    return kMount + "/" +
           rng_.Pick<std::string>(
               {"version", "destroyed", "objects", "ctl", "nope"});
  }
  return EnclaveDir(rng_.Pick(ids)) + "/" +
         rng_.Pick<std::string>(
             {"ctl", "cpulist", "tasks", "status", "stats", "agent_online",
              "deliver_ticks", "runnable_timeout", "cpu_data", "sw_regions",
              "sw_regions/sw_0", "nope"});
}

void SurfaceFuzzer::Read() {
  const std::string path = RandomPath();
  Trace(absl::StrCat("read ", path));
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    const bool absent = absl::EndsWith(path, "/nope");
    // ENODEV: a file of an enclave that kernfs is removing (abi.md).
    w_.ledger.Record("read.open", false, err, {{ENOENT, ENODEV, EACCES}, true},
                     path);
    if (absent && err != ENOENT) {
      w_.ledger.Problem("read.open", "a file that does not exist", path);
    }
    return;
  }
  const size_t chunk = rng_.Pick<size_t>({1, 7, 64, 4096, 65536});
  const off_t offset = rng_.OneIn(4) ? static_cast<off_t>(rng_.Below(64)) : 0;
  std::string text, buf(chunk, '\0');
  ssize_t n;
  off_t at = offset;
  while ((n = pread(fd, buf.data(), chunk, at)) > 0 && text.size() < 1 << 20) {
    text.append(buf.data(), n);
    at += n;
  }
  const int err = errno;
  close(fd);
  w_.ledger.Record("read", n >= 0, err, {{EINVAL, ENODEV, EISDIR}, true},
                   path);
  if (n == 0 && offset == 0) CheckContents(path, text);
}

// What a file shows must make sense whatever was written before.
void SurfaceFuzzer::CheckContents(const std::string& path, const std::string& text) {
  std::vector<int> cpus;
  if (absl::EndsWith(path, "/version") &&
      text != absl::StrCat(GHOST_ABI_VERSION, "\n")) {
    w_.ledger.Problem("read", "version is not this header's GHOST_ABI_VERSION", text);
  } else if (absl::EndsWith(path, "/cpulist")) {
    const bool ok = ParseCpuList(text, &cpus);
    for (int cpu : cpus) {
      if (cpu < 1 || cpu > kLastCpu) {
        w_.ledger.Problem("read", "an enclave owns a CPU it must not",
                          absl::StrCat(path, ": ", text));
      }
    }
    if (!ok) w_.ledger.Problem("read", "cpulist unparsable", text);
  } else if (absl::EndsWith(path, "/status") &&
             text.find("state live\n") == std::string::npos &&
             text.find("state dying\n") == std::string::npos) {
    w_.ledger.Problem("read", "status has no state line", text);
  } else if (absl::EndsWith(path, "/deliver_ticks") && text != "0\n" &&
             text != "1\n") {
    w_.ledger.Problem("read", "deliver_ticks is not 0 or 1", text);
  }
}

void SurfaceFuzzer::PollAgentOnline() {
  const std::vector<unsigned int>& ids = fds_.ids;
  if (ids.empty()) return;
  const std::string path = EnclaveDir(rng_.Pick(ids)) + "/agent_online";
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char buf[16];
  (void)read(fd, buf, sizeof(buf));
  struct pollfd p = {.fd = fd, .events = POLLPRI};
  Trace(absl::StrCat("poll ", path));
  const Outcome o = Check(poll(&p, 1, static_cast<int>(rng_.Below(3))));
  close(fd);
  w_.ledger.Record("poll.agent_online", o.ok, o.err, {{}, true}, path);
}


}  // namespace ghost::fuzz
