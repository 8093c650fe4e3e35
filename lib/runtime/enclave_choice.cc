#include "lib/runtime/enclave_choice.h"

#include <unistd.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/util/cpu_list.h"

namespace ghost {
namespace {

absl::StatusOr<unsigned int> FirstFreeEnclaveId(const std::string& ghostfs) {
  absl::StatusOr<std::vector<unsigned int>> ids = ListEnclaveIds(ghostfs);
  if (!ids.ok()) return ids.status();
  unsigned int id = 1;
  for (unsigned int used : *ids) {
    if (used == id) ++id;
  }
  return id;
}

}  // namespace

absl::StatusOr<ChosenEnclave> OpenOrCreateEnclave(const EnclaveChoice& choice) {
  if (choice.cpus.empty()) {
    if (choice.id < 0) {
      return absl::InvalidArgumentError(
          "name an enclave with --enclave=N, or create one with --cpus=LIST");
    }
    Enclave e(choice.id, choice.ghostfs);
    if (access(e.dir().c_str(), F_OK) != 0) {
      return absl::NotFoundError(absl::StrCat(
          "no enclave ", choice.id, " (", e.dir(),
          "): create it with ghostctl, or pass --cpus=LIST to create it here"));
    }
    return ChosenEnclave{e, false};
  }
  if (absl::StatusOr<std::vector<int>> parsed = ParseCpuList(choice.cpus);
      !parsed.ok()) {
    return parsed.status();
  }
  absl::StatusOr<unsigned int> id =
      choice.id >= 0 ? absl::StatusOr<unsigned int>(choice.id)
                     : FirstFreeEnclaveId(choice.ghostfs);
  if (!id.ok()) return id.status();
  absl::StatusOr<Enclave> e = Enclave::Create(*id, choice.ghostfs);
  if (!e.ok()) return e.status();
  if (absl::Status s = e->SetCpus(choice.cpus); !s.ok()) {
    (void)e->Destroy();
    return absl::Status(s.code(),
                        absl::StrCat(s.message(), " (are CPUs ", choice.cpus,
                                     " online and in no other enclave?)"));
  }
  return ChosenEnclave{*e, true};
}

absl::StatusOr<OnExit> ParseOnExit(const std::string& text, bool created) {
  if (text == "destroy") return OnExit::kDestroy;
  if (text == "keep") return OnExit::kKeep;
  if (text.empty()) return created ? OnExit::kDestroy : OnExit::kKeep;
  return absl::InvalidArgumentError(absl::StrCat(
      "--on_exit=", text, " is not a choice: use destroy or keep"));
}

}  // namespace ghost
