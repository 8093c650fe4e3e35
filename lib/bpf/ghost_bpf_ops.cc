#include "lib/bpf/ghost_bpf_ops.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "lib/util/errno_status.h"

namespace ghost {
namespace {

// Linux 6.4+ uapi, newer than the build host's <linux/bpf.h>.
constexpr uint32_t kMapFlagLink = 1U << 13;       // BPF_F_LINK
constexpr uint32_t kAttachStructOps = 44;         // BPF_STRUCT_OPS

// What an attach error means here, in words.
std::string AttachHint(int err, unsigned int enclave_id) {
  switch (err) {
    case EPERM:
      return " (attaching BPF ops needs CAP_SYS_NICE, as becoming an agent "
             "does)";
    case ENOENT:
      return absl::StrCat(" (there is no enclave ", enclave_id, ")");
    case EBUSY:
      return absl::StrCat(" (enclave ", enclave_id,
                          " has BPF ops attached already)");
    case ENODEV:
      return absl::StrCat(" (enclave ", enclave_id, " is being destroyed)");
    default:
      return "";
  }
}

// The fd of each hook's program of `obj` (-1: none), by member index.
absl::Status HookFds(bpf_object* obj, int (&fds)[kGhostBpfHooks]) {
  for (int& fd : fds) fd = -1;
  bpf_program* prog;
  bpf_object__for_each_program(prog, obj) {
    if (bpf_program__type(prog) != BPF_PROG_TYPE_STRUCT_OPS) continue;
    const unsigned int member = bpf_program__expected_attach_type(prog);
    if (member >= kGhostBpfHooks) {
      return absl::InvalidArgumentError(
          absl::StrCat("BPF program ", bpf_program__name(prog),
                       " is for member ", member,
                       " of ghost_bpf_ops, which is no hook"));
    }
    fds[member] = bpf_program__fd(prog);
  }
  return absl::OkStatus();
}

// The byte offset of member `name` of struct type `t`, or -1.
long MemberOffset(const btf* b, const btf_type* t, const char* name) {
  const btf_member* m = btf_members(t);
  for (int i = 0; i < btf_vlen(t); ++i, ++m) {
    if (std::strcmp(btf__name_by_offset(b, m->name_off), name) == 0) {
      return btf_member_bit_offset(t, i) / 8;
    }
  }
  return -1;
}

absl::StatusOr<GhostBpfOpsLayout> LayoutFromBtf(const btf* b) {
  const int value_id = btf__find_by_name_kind(
      b, "bpf_struct_ops_ghost_bpf_ops", BTF_KIND_STRUCT);
  const int ops_id =
      btf__find_by_name_kind(b, "ghost_bpf_ops", BTF_KIND_STRUCT);
  if (value_id < 0 || ops_id < 0) {
    return absl::NotFoundError(
        "this kernel has no ghost BPF ops (no ghost_bpf_ops in its BTF): "
        "it needs the ghost patches with CONFIG_SCHED_CLASS_GHOST_BPF");
  }
  const btf_type* value = btf__type_by_id(b, value_id);
  const btf_type* ops = btf__type_by_id(b, ops_id);
  const long data = MemberOffset(b, value, "data");
  const char* members[] = {"pick", "msg", "tick", "enclave_id", "flags",
                           "name"};
  long off[6];
  for (int i = 0; i < 6; ++i) {
    off[i] = MemberOffset(b, ops, members[i]);
    if (data < 0 || off[i] < 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the kernel's ghost_bpf_ops has no member ", members[i],
          ": its BPF ABI differs from this program's"));
    }
  }
  GhostBpfOpsLayout layout;
  layout.value_size = value->size;
  for (int i = 0; i < kGhostBpfHooks; ++i) layout.hook[i] = data + off[i];
  layout.enclave_id = data + off[3];
  layout.flags = data + off[4];
  layout.name = data + off[5];
  layout.name_len = ops->size - off[5];
  return layout;
}

}  // namespace

absl::StatusOr<GhostBpfOpsLayout> KernelGhostBpfOpsLayout() {
  btf* vmlinux = btf__load_vmlinux_btf();
  if (vmlinux == nullptr) {
    return ErrnoStatus(errno, "reading the kernel's BTF (/sys/kernel/btf)");
  }
  absl::StatusOr<GhostBpfOpsLayout> layout = LayoutFromBtf(vmlinux);
  btf__free(vmlinux);
  return layout;
}

absl::StatusOr<std::vector<char>> MakeGhostBpfOpsValue(
    const GhostBpfOpsLayout& layout, unsigned int enclave_id,
    absl::string_view name, const int (&hook_fds)[kGhostBpfHooks]) {
  if (name.empty() || name.size() >= layout.name_len) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a BPF ops name has 1 to ", layout.name_len - 1, " characters: '",
        name, "'"));
  }
  std::vector<char> value(layout.value_size, 0);
  for (int i = 0; i < kGhostBpfHooks; ++i) {
    // 0: no program for this hook (the kernel skips the member).
    const uint64_t fd = hook_fds[i] >= 0 ? hook_fds[i] : 0;
    std::memcpy(&value[layout.hook[i]], &fd, sizeof(fd));
  }
  const uint32_t id = enclave_id;
  std::memcpy(&value[layout.enclave_id], &id, sizeof(id));
  std::memcpy(&value[layout.name], name.data(), name.size());
  return value;
}

absl::Status GhostBpfOps::Prepare(bpf_map* ops_map) {
  if (bpf_map__type(ops_map) != BPF_MAP_TYPE_STRUCT_OPS) {
    return absl::InvalidArgumentError(
        absl::StrCat("BPF map ", bpf_map__name(ops_map),
                     " is not a struct_ops map"));
  }
  const int err =
      bpf_map__set_map_flags(ops_map, bpf_map__map_flags(ops_map) |
                                          kMapFlagLink);
  if (err) return ErrnoStatus(-err, "making the BPF ops map a link map");
  return absl::OkStatus();
}

absl::StatusOr<GhostBpfOps> GhostBpfOps::Attach(bpf_object* obj,
                                                bpf_map* ops_map,
                                                unsigned int enclave_id,
                                                absl::string_view name) {
  absl::StatusOr<GhostBpfOpsLayout> layout = KernelGhostBpfOpsLayout();
  if (!layout.ok()) return layout.status();
  if (bpf_map__value_size(ops_map) != layout->value_size) {
    return absl::FailedPreconditionError(absl::StrCat(
        "BPF map ", bpf_map__name(ops_map), " has values of ",
        bpf_map__value_size(ops_map), " bytes, the kernel's ghost_bpf_ops ",
        layout->value_size, ": it is not a ghost_bpf_ops map"));
  }
  int fds[kGhostBpfHooks];
  if (absl::Status s = HookFds(obj, fds); !s.ok()) return s;
  absl::StatusOr<std::vector<char>> value =
      MakeGhostBpfOpsValue(*layout, enclave_id, name, fds);
  if (!value.ok()) return value.status();

  const int map_fd = bpf_map__fd(ops_map);
  const uint32_t zero = 0;
  // A map's table is written once: EBUSY says an earlier Attach() of this
  // object wrote it (its link failed or was closed since), and the link
  // below re-uses it as it is.
  if (bpf_map_update_elem(map_fd, &zero, value->data(), 0) != 0 &&
      errno != EBUSY) {
    const int err = errno;
    return ErrnoStatus(err, "writing the BPF ops table");
  }
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.link_create.prog_fd = map_fd;  // the map, for BPF_STRUCT_OPS
  attr.link_create.attach_type = kAttachStructOps;
  const int link = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
  if (link < 0) {
    const int err = errno;
    return ErrnoStatus(
        err, absl::StrCat("attaching BPF ops ", name, " to enclave ",
                          enclave_id),
        AttachHint(err, enclave_id));
  }
  return GhostBpfOps(Fd(link));
}

}  // namespace ghost
