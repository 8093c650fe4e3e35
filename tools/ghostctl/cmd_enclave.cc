// ghostctl enclave create|destroy|list|status|cpus.
#include <cerrno>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/abi/enclave.h"
#include "lib/abi/enclave_stats.h"
#include "lib/abi/privilege.h"
#include "tools/ghostctl/commands.h"
#include "tools/ghostctl/cpulist.h"
#include "tools/ghostctl/enclave_snapshot.h"
#include "tools/ghostctl/ghostfs_session.h"
#include "lib/util/json_writer.h"

namespace ghost::ctl {
namespace {

// Parses the id argument; 0 and sets *id, or the usage exit code.
int IdArg(const Invocation& inv, unsigned int* id) {
  const std::string& text = inv.args.positional[0];
  if (ParseEnclaveId(text, id)) return kExitOk;
  return UsageError(
      "enclave create",
      absl::StrCat("\"", text, "\" is not an enclave id (a decimal number)"));
}

// Parses the id and prepares ghostfs; the enclave must exist.
int ExistingEnclave(const Invocation& inv, const std::string& command,
                    absl::StatusOr<Enclave>* e) {
  unsigned int id;
  if (!ParseEnclaveId(inv.args.positional[0], &id)) {
    return UsageError(command,
                      absl::StrCat("\"", inv.args.positional[0],
                                   "\" is not an enclave id (a decimal "
                                   "number)"));
  }
  if (absl::Status s = PrepareGhostfs(inv.ghostfs); !s.ok()) return Fail(s);
  *e = OpenEnclave(inv.ghostfs, id);
  return e->ok() ? kExitOk : Fail(e->status());
}

}  // namespace

int RunEnclaveCreate(const Invocation& inv) {
  unsigned int id;
  if (int rc = IdArg(inv, &id); rc != kExitOk) return rc;
  const std::optional<std::string> cpus = inv.args.Get("cpus");
  if (cpus.has_value()) {
    absl::StatusOr<std::vector<int>> parsed = ParseCpuList(*cpus);
    if (!parsed.ok()) {
      return UsageError("enclave create",
                        std::string(parsed.status().message()));
    }
  }
  if (absl::Status s = PrepareGhostfs(inv.ghostfs); !s.ok()) return Fail(s);
  // Before the CPU checks: without the rights, nothing else matters.
  if (absl::Status s =
          RequireEnclaveControl("creating an enclave", CallerPrivileges());
      !s.ok()) {
    return Fail(s);
  }
  std::string list;
  if (cpus.has_value()) {
    absl::StatusOr<std::string> checked = CheckCpusFor(inv.ghostfs, id, *cpus);
    if (!checked.ok()) return Fail(checked.status());
    list = *checked;
  }
  absl::StatusOr<Enclave> e = Enclave::Create(id, inv.ghostfs);
  if (!e.ok()) {
    if (absl::IsAlreadyExists(e.status())) {
      return Fail(absl::AlreadyExistsError(
          absl::StrCat("enclave ", id,
                       " exists already; pick another id (ghostctl "
                       "enclave list) or destroy it first")));
    }
    return Fail(e.status());  // a permission error names what is needed
  }
  if (!list.empty()) {
    if (absl::Status s = e->SetCpus(list); !s.ok()) {
      (void)e->Destroy();
      return Fail(absl::Status(
          s.code(), absl::StrCat(s.message(),
                                 "; the enclave was not kept. An enclave's "
                                 "CPUs must be online and in no other "
                                 "enclave")));
    }
  }
  printf("created enclave %u (%s), cpus %s\n", id, e->dir().c_str(),
         list.empty() ? "none" : list.c_str());
  return kExitOk;
}

int RunEnclaveDestroy(const Invocation& inv) {
  absl::StatusOr<Enclave> e = absl::UnknownError("");
  if (int rc = ExistingEnclave(inv, "enclave destroy", &e); rc != kExitOk) {
    return rc;
  }
  if (absl::Status s = e->Destroy(); !s.ok()) return Fail(s);
  printf("destroyed enclave %u; its threads run under CFS again\n", e->id());
  return kExitOk;
}

int RunEnclaveCpus(const Invocation& inv) {
  absl::StatusOr<std::vector<int>> parsed =
      ParseCpuList(inv.args.positional[1]);
  if (!parsed.ok()) {
    return UsageError("enclave cpus", std::string(parsed.status().message()));
  }
  absl::StatusOr<Enclave> e = absl::UnknownError("");
  if (int rc = ExistingEnclave(inv, "enclave cpus", &e); rc != kExitOk) {
    return rc;
  }
  if (absl::Status s = RequireEnclaveControl("changing an enclave's CPUs",
                                             CallerPrivileges());
      !s.ok()) {
    return Fail(s);
  }
  absl::StatusOr<std::string> list =
      CheckCpusFor(inv.ghostfs, e->id(), inv.args.positional[1]);
  if (!list.ok()) return Fail(list.status());
  if (absl::Status s = e->SetCpus(*list); !s.ok()) {
    return Fail(absl::Status(
        s.code(), absl::StrCat(s.message(), "; the CPU list is unchanged")));
  }
  printf("enclave %u: cpus %s\n", e->id(),
         list->empty() ? "none" : list->c_str());
  return kExitOk;
}

int RunEnclaveStatus(const Invocation& inv) {
  absl::StatusOr<Enclave> e = absl::UnknownError("");
  if (int rc = ExistingEnclave(inv, "enclave status", &e); rc != kExitOk) {
    return rc;
  }
  absl::StatusOr<EnclaveSnapshot> s = TakeSnapshot(*e);
  if (!s.ok()) return Fail(s.status());
  if (inv.args.Has("json")) {
    JsonWriter w;
    w.BeginObject();
    WriteSnapshotFields(*s, w);
    w.Key("tids").BeginArray();
    for (pid_t tid : s->tids) w.Int(tid);
    w.EndArray().EndObject();
    printf("%s\n", w.str().c_str());
  } else {
    printf("%s", FormatSnapshot(*s).c_str());
  }
  return kExitOk;
}

int RunEnclaveList(const Invocation& inv) {
  if (absl::Status s = PrepareGhostfs(inv.ghostfs); !s.ok()) return Fail(s);
  absl::StatusOr<std::vector<unsigned int>> ids = ListEnclaveIds(inv.ghostfs);
  if (!ids.ok()) return Fail(ids.status());
  const bool json = inv.args.Has("json");
  JsonWriter w;
  w.BeginObject().Key("enclaves").BeginArray();
  if (!json)
    printf("%-8s %-6s %-12s %-7s %s\n", "ENCLAVE", "STATE", "CPUS", "AGENTS",
           "THREADS");
  for (unsigned int id : *ids) {
    absl::StatusOr<EnclaveSnapshot> s = TakeSnapshot(Enclave(id, inv.ghostfs));
    if (!s.ok()) continue;  // destroyed meanwhile
    if (json) {
      w.BeginObject();
      WriteSnapshotFields(*s, w);
      w.EndObject();
      continue;
    }
    const auto text = [](const std::optional<int64_t>& v) {
      return v.has_value() ? absl::StrCat(*v) : std::string("?");
    };
    printf("%-8u %-6s %-12s %-7s %s\n", id, s->status.state.c_str(),
           s->status.cpus.empty() ? "-" : s->status.cpus.c_str(),
           text(s->agents).c_str(), text(s->threads()).c_str());
  }
  w.EndArray().EndObject();
  if (json) printf("%s\n", w.str().c_str());
  return kExitOk;
}

}  // namespace ghost::ctl
