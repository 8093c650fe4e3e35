// EnclaveChoice: which enclave an agent program schedules, from its
// command line: an existing one (--enclave=N), or a new one it creates
// with the given CPUs (--cpus=LIST, at --enclave=N or the lowest free id).
// Whether the agent created the enclave decides what it does with it on
// exit (OnExit).
//
//   absl::StatusOr<ChosenEnclave> e = OpenOrCreateEnclave(
//       {.id = 3, .cpus = "", .ghostfs = "/sys/fs/ghost"});
#ifndef GHOST_LIB_RUNTIME_ENCLAVE_CHOICE_H_
#define GHOST_LIB_RUNTIME_ENCLAVE_CHOICE_H_

#include <string>

#include "absl/status/statusor.h"
#include "lib/abi/enclave.h"

namespace ghost {

struct EnclaveChoice {
  int id = -1;       // -1: none named
  std::string cpus;  // empty: the enclave exists; else create it with these
  std::string ghostfs;
};

struct ChosenEnclave {
  Enclave enclave;
  bool created;  // by this agent
};

absl::StatusOr<ChosenEnclave> OpenOrCreateEnclave(const EnclaveChoice& choice);

// What the agent does with its enclave when it stops (not when it hands
// over, nor when the enclave was destroyed under it).
enum class OnExit { kDestroy, kKeep };

// --on_exit: "destroy", "keep", or "" (destroy an enclave the agent
// created, keep one it attached to).
absl::StatusOr<OnExit> ParseOnExit(const std::string& text, bool created);

}  // namespace ghost

#endif  // GHOST_LIB_RUNTIME_ENCLAVE_CHOICE_H_
