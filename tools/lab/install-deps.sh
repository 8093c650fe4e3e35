#!/usr/bin/env bash
# Installs everything ghost needs from Debian's apt, and nothing from anywhere
# else. Idempotent: when every package is already present it only runs dpkg
# queries and returns within a second.
#
# Usage: tools/lab/install-deps.sh [--check]
#   --check   only report missing packages (exit 1 if any), install nothing.
set -euo pipefail

# One package per line, grouped by what needs it.
readonly PACKAGES=(
  # Userspace build: Bazel (Debian's offline-capable bootstrap build) and the
  # system libraries our BUILD files link statically.
  bazel-bootstrap build-essential pkg-config
  libabsl-dev libgtest-dev libgmock-dev libbenchmark-dev libnuma-dev
  libbpf-dev libelf-dev zlib1g-dev
  # BPF programs: clang -target bpf and skeleton generation.
  clang llvm bpftool
  # Kernel: the source we patch and what its build needs.
  # (linux-source-6.12 itself: the lab downloads the version it builds.)
  flex bison bc libssl-dev dwarves cpio python3 xz-utils
  # checkpatch.pl --strict (its SPDX check is Python).
  python3-ply python3-git
  # The lab VM.
  qemu-system-x86 busybox-static
  # Workloads moved into enclaves by the tests and experiments: RocksDB
  # (its static library and the compression libraries it links) for
  # experiments/rocksdb, matplotlib for the experiments' plots.
  stress-ng rt-tests librocksdb-dev python3-matplotlib
  # Tracing ghost's tracepoints (docs/tracing.md), on the host and in the VM.
  trace-cmd linux-perf
)

missing_packages() {
  local pkg status
  for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [[ "$status" == "installed" ]] || echo "$pkg"
  done
}

main() {
  if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
  fi
  local -a missing
  mapfile -t missing < <(missing_packages)
  if ((${#missing[@]} == 0)); then
    echo "deps: all ${#PACKAGES[@]} packages present"
    return 0
  fi
  if [[ "${1:-}" == "--check" ]]; then
    echo "deps: missing: ${missing[*]}" >&2
    return 1
  fi
  if ((EUID != 0)); then
    echo "deps: missing packages: ${missing[*]}" >&2
    echo "deps: run this script as root (or: sudo $0) to install them" >&2
    return 1
  fi
  echo "deps: installing ${#missing[@]} packages from apt: ${missing[*]}"
  local start=$SECONDS
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
  echo "deps: done in $((SECONDS - start)) s"
  mapfile -t missing < <(missing_packages)
  if ((${#missing[@]} != 0)); then
    echo "deps: still missing after apt-get install: ${missing[*]}" >&2
    return 1
  fi
}

main "$@"
