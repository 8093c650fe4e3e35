// ghostctl status: ghostfs, the ABI versions, the enclaves.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/abi/abi_version.h"
#include "lib/abi/enclave.h"
#include "lib/abi/enclave_stats.h"
#include "tools/ghostctl/commands.h"
#include "tools/ghostctl/ghostfs_session.h"
#include "lib/util/json_writer.h"

namespace ghost::ctl {
namespace {

void PrintJson(const std::string& mount, uint32_t kernel,
               const std::vector<unsigned int>& ids) {
  JsonWriter w;
  w.BeginObject();
  w.Key("ghostfs").String(mount);
  w.Key("mounted").Bool(true);
  w.Key("kernel_abi").Int(kernel);
  w.Key("ghostctl_abi").Int(LibraryAbiVersion());
  w.Key("abi_match").Bool(kernel == LibraryAbiVersion());
  w.Key("enclaves").BeginArray();
  for (unsigned int id : ids) w.Int(id);
  w.EndArray().EndObject();
  printf("%s\n", w.str().c_str());
}

void PrintText(const std::string& mount, uint32_t kernel,
               const std::vector<unsigned int>& ids) {
  printf("ghostfs:            mounted at %s\n", mount.c_str());
  printf("kernel ABI version: %u\n", kernel);
  printf("ghostctl ABI:       %u (%s)\n", LibraryAbiVersion(),
         kernel == LibraryAbiVersion() ? "matches" : "MISMATCH");
  printf("enclaves:           %zu\n", ids.size());
  for (unsigned int id : ids) {
    absl::StatusOr<EnclaveStatus> s = ReadEnclaveStatus(Enclave(id, mount));
    if (!s.ok()) continue;  // destroyed meanwhile
    printf("  enclave %u: cpus %s, %u members, %s\n", id,
           s->cpus.empty() ? "none" : s->cpus.c_str(), s->tasks,
           s->state.c_str());
  }
}

}  // namespace

int RunStatus(const Invocation& inv) {
  const std::string& mount = inv.ghostfs;
  if (absl::Status s = MountGhostfs(mount); !s.ok()) return Fail(s);
  absl::StatusOr<uint32_t> kernel = ReadKernelAbiVersion(mount);
  if (!kernel.ok()) return Fail(kernel.status());
  absl::StatusOr<std::vector<unsigned int>> ids = ListEnclaveIds(mount);
  if (!ids.ok()) return Fail(ids.status());
  if (inv.args.Has("json")) {
    PrintJson(mount, *kernel, *ids);
  } else {
    PrintText(mount, *kernel, *ids);
  }
  if (*kernel != LibraryAbiVersion()) {
    return Fail(CheckKernelAbiVersion(mount));
  }
  return kExitOk;
}

}  // namespace ghost::ctl
