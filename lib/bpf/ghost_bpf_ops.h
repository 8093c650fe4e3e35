// GhostBpfOps: a ghost_bpf_ops struct_ops object attached to an enclave
// (docs/bpf.md), from a libbpf object whose programs the kernel loaded.
//
// libbpf 1.1 (Debian 12's) neither knows struct_ops links nor lets a
// loader change an ops table's data, and the table must name its enclave.
// So the loader asks for a link-type map before the load, then writes the
// table itself (each hook's program fd, the enclave id, the name) and
// creates the link: the ops stay attached while the link's fd is open, and
// the kernel detaches them when it closes, whatever ends the process.
//
//   VerifierLog log;
//   auto* skel = ghost_bpf_fifo__open_opts(log.open_opts());
//   RETURN_IF_ERROR(GhostBpfOps::Prepare(skel->maps.fifo_ops));
//   RETURN_IF_ERROR(log.LoadStatus(ghost_bpf_fifo__load(skel), "bpf_fifo"));
//   absl::StatusOr<GhostBpfOps> ops = GhostBpfOps::Attach(
//       skel->obj, skel->maps.fifo_ops, enclave_id, "bpf_fifo");
#ifndef GHOST_LIB_BPF_GHOST_BPF_OPS_H_
#define GHOST_LIB_BPF_GHOST_BPF_OPS_H_

#include <bpf/libbpf.h>

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/abi/fd.h"

namespace ghost {

// Where the kernel keeps each member of a ghost_bpf_ops map's value, as
// its BTF says (the table follows the struct_ops header, cache aligned).
struct GhostBpfOpsLayout {
  size_t value_size = 0;
  size_t hook[3] = {};  // pick, msg, tick: their member order
  size_t enclave_id = 0;
  size_t flags = 0;
  size_t name = 0;
  size_t name_len = 0;
};

// The hooks in the kernel's member order (a struct_ops program's expected
// attach type is its member's index).
inline constexpr int kGhostBpfHooks = 3;

// The layout from the running kernel's BTF; NotFound on a kernel without
// ghost's BPF ops.
absl::StatusOr<GhostBpfOpsLayout> KernelGhostBpfOpsLayout();

// A value for `layout` that attaches hook program fds (-1: none) to
// enclave `enclave_id` as `name`. InvalidArgument for a bad name.
absl::StatusOr<std::vector<char>> MakeGhostBpfOpsValue(
    const GhostBpfOpsLayout& layout, unsigned int enclave_id,
    absl::string_view name, const int (&hook_fds)[kGhostBpfHooks]);

class GhostBpfOps {
 public:
  // Before the load: the ops map becomes a link-type map.
  static absl::Status Prepare(bpf_map* ops_map);

  // After the load: attaches the table of `ops_map`, whose hooks are the
  // struct_ops programs of `obj`, to enclave `enclave_id`. The errors say
  // why in words (no such enclave, ops attached already, privilege). The
  // kernel takes a map's table once: a later Attach() of the same object
  // (after an error, or a Detach()) re-uses the first one's enclave and
  // name.
  static absl::StatusOr<GhostBpfOps> Attach(bpf_object* obj,
                                            bpf_map* ops_map,
                                            unsigned int enclave_id,
                                            absl::string_view name);

  GhostBpfOps(GhostBpfOps&&) = default;
  GhostBpfOps& operator=(GhostBpfOps&&) = default;

  // Detaches (closes the link). Idempotent.
  void Detach() { link_ = Fd(); }

 private:
  explicit GhostBpfOps(Fd link) : link_(std::move(link)) {}
  Fd link_;
};

}  // namespace ghost

#endif  // GHOST_LIB_BPF_GHOST_BPF_OPS_H_
