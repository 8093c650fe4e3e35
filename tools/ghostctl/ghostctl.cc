// ghostctl: the user's command line for ghost.
//
//   ghostctl status                    ghostfs, ABI versions, enclaves
//   ghostctl create <id> [--cpus L]    make enclave <id>, optionally with CPUs
//   ghostctl destroy <id>              destroy it; its threads return to CFS
//   ghostctl cpus <id> <list>          set an enclave's CPUs ("" for none)
//   ghostctl move <id> <tid>...        move threads into an enclave
//   ghostctl show <id>                 an enclave's status and threads
//
// Every command mounts ghostfs if needed and checks the kernel's ABI version
// first. Errors say what failed and what to do; the exit status is 1.
#include <sys/types.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/abi_version.h"
#include "lib/enclave.h"
#include "lib/ghostfs_mount.h"
#include "lib/uapi/linux/ghost.h"

ABSL_FLAG(std::string, ghostfs, GHOSTFS_MOUNT_POINT,
          "Where ghostfs is (or gets) mounted.");
ABSL_FLAG(std::string, cpus, "",
          "For create: the new enclave's CPUs, e.g. 1-3.");

namespace ghost {
namespace {

constexpr char kUsage[] =
    "ghostctl <command> [args]\n\n"
    "commands:\n"
    "  status                  ghostfs, ABI versions and enclaves\n"
    "  create <id> [--cpus L]  make enclave <id>, optionally with CPUs L\n"
    "  destroy <id>            destroy an enclave; its threads return to CFS\n"
    "  cpus <id> <list>        set an enclave's CPUs (\"\" releases them)\n"
    "  move <id> <tid>...      move threads into an enclave\n"
    "  show <id>               an enclave's status and threads";

int Fail(const absl::Status& s, const std::string& hint = "") {
  fprintf(stderr, "ghostctl: %s\n", std::string(s.message()).c_str());
  if (!hint.empty()) fprintf(stderr, "ghostctl: %s\n", hint.c_str());
  return 1;
}

int Usage(const std::string& why) {
  fprintf(stderr, "ghostctl: %s\n\n%s\n", why.c_str(), kUsage);
  return 2;
}

// Mounts ghostfs if needed and refuses a kernel with another ABI.
absl::Status Prepare(const std::string& mount_point) {
  if (absl::Status s = EnsureGhostfsMounted(mount_point); !s.ok()) return s;
  return CheckKernelAbiVersion(mount_point);
}

bool ParseId(const std::string& text, unsigned int* id) {
  return !text.empty() && text[0] != '+' && text[0] != '-' &&
         absl::SimpleAtoi(text, id);
}

int Status(const std::string& mount_point) {
  absl::StatusOr<uint32_t> kernel = ReadKernelAbiVersion(mount_point);
  if (!kernel.ok()) return Fail(kernel.status());
  printf("ghostfs:            mounted at %s\n", mount_point.c_str());
  printf("kernel ABI version: %u\n", *kernel);
  printf("ghostctl ABI:       %u (%s)\n", LibraryAbiVersion(),
         *kernel == LibraryAbiVersion() ? "matches" : "MISMATCH");
  absl::StatusOr<std::vector<unsigned int>> ids = ListEnclaveIds(mount_point);
  if (!ids.ok()) return Fail(ids.status());
  printf("enclaves:           %zu\n", ids->size());
  for (unsigned int id : *ids) printf("  enclave_%u\n", id);
  return *kernel == LibraryAbiVersion() ? 0 : 1;
}

int Create(unsigned int id, const std::string& mount_point) {
  absl::StatusOr<Enclave> e = Enclave::Create(id, mount_point);
  if (!e.ok()) {
    return Fail(e.status(),
                absl::IsAlreadyExists(e.status())
                    ? absl::StrCat("enclave ", id, " exists; pick another id")
                    : "creating enclaves needs root (CAP_SYS_NICE)");
  }
  const std::string cpus = absl::GetFlag(FLAGS_cpus);
  if (!cpus.empty()) {
    if (absl::Status s = e->SetCpus(cpus); !s.ok()) {
      (void)e->Destroy();
      return Fail(s,
                  "CPUs must exist, be online and belong to no other "
                  "enclave; the enclave was not kept");
    }
  }
  printf("created %s\n", e->dir().c_str());
  return 0;
}

int Show(const Enclave& e) {
  absl::StatusOr<std::string> status = e.StatusText();
  if (!status.ok()) return Fail(status.status(), "is the id right?");
  absl::StatusOr<std::vector<pid_t>> tids = e.Tasks();
  if (!tids.ok()) return Fail(tids.status());
  printf("%s", status->c_str());
  printf("threads:");
  for (pid_t tid : *tids) printf(" %d", tid);
  printf("\n");
  return 0;
}

int Run(const std::vector<char*>& args) {
  const std::string mount_point = absl::GetFlag(FLAGS_ghostfs);
  const std::string command = args[1];
  const size_t nargs = args.size() - 2;
  if (absl::Status s = Prepare(mount_point); !s.ok()) return Fail(s);
  if (command == "status") {
    return nargs == 0 ? Status(mount_point) : Usage("status takes no args");
  }

  unsigned int id;
  if (nargs < 1 || !ParseId(args[2], &id)) {
    return Usage(absl::StrCat(command, ": expected an enclave id"));
  }
  Enclave enclave(id, mount_point);
  if (command == "create") {
    return nargs == 1 ? Create(id, mount_point) : Usage("create <id>");
  }
  if (command == "destroy") {
    if (nargs != 1) return Usage("destroy <id>");
    absl::Status s = enclave.Destroy();
    return s.ok() ? 0 : Fail(s, "is the id right? (ghostctl status)");
  }
  if (command == "cpus") {
    if (nargs != 2) return Usage("cpus <id> <list>");
    absl::Status s = enclave.SetCpus(args[3]);
    return s.ok() ? 0
                  : Fail(s,
                         "CPUs must exist, be online and belong to no "
                         "other enclave");
  }
  if (command == "move") {
    if (nargs < 2) return Usage("move <id> <tid>...");
    int rc = 0;
    for (size_t i = 3; i < args.size(); ++i) {
      pid_t tid;
      if (!absl::SimpleAtoi(args[i], &tid) || tid <= 0) {
        rc = Usage(absl::StrCat("not a thread id: ", args[i]));
        continue;
      }
      if (absl::Status s = enclave.AddTask(tid); !s.ok()) {
        rc = Fail(s,
                  "moving a thread needs the right to change its "
                  "scheduling policy (same user, or CAP_SYS_NICE)");
      }
    }
    return rc;
  }
  if (command == "show") {
    return nargs == 1 ? Show(enclave) : Usage("show <id>");
  }
  return Usage(absl::StrCat("unknown command \"", command, "\""));
}

}  // namespace
}  // namespace ghost

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(ghost::kUsage);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() < 2) return ghost::Usage("no command");
  return ghost::Run(args);
}
