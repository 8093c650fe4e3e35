"""`ghost lab initramfs`: the VM's root filesystem, as a gzipped cpio.

Contents: busybox-static and /init (tools/lab/guest/init), our static
binaries under /ghost/bin, and workload binaries from Debian packages copied
with the shared libraries `ldd` lists for them.
"""

import os
import pathlib
import re
import shutil
import subprocess

from lab import paths
from lab.progress import LabError, done, step

BUSYBOX = pathlib.Path("/bin/busybox")
INIT = pathlib.Path(__file__).resolve().parent / "guest" / "init"

# Workloads the tests and experiments move into enclaves, and the tracing
# tools of docs/tracing.md.
WORKLOADS = ["/usr/bin/stress-ng", "/usr/bin/hackbench", "/usr/bin/cyclictest",
             "/usr/bin/trace-cmd", "/usr/bin/perf"]


def shared_libraries(binary):
    """Absolute paths of the shared objects `binary` needs (from ldd)."""
    proc = subprocess.run(["ldd", str(binary)], capture_output=True, text=True)
    if proc.returncode != 0:
        return []  # static binaries: "not a dynamic executable"
    libs = []
    for line in proc.stdout.splitlines():
        m = re.search(r"(/\S+)", line)
        if m:
            libs.append(m.group(1))
    return libs


def _copy(src, root, dest=None):
    src = pathlib.Path(src)
    target = root / (dest or str(src).lstrip("/"))
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src.resolve(), target)
    return target


def build(binaries, output, *, workloads=WORKLOADS):
    """Packs `binaries` (our static programs) into `output` (cpio.gz)."""
    step(f"initramfs: packing busybox, {len(binaries)} ghost binaries and "
         f"{len(workloads)} workloads")
    output = pathlib.Path(output)
    root = output.with_suffix("").with_suffix(".root")
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    if not BUSYBOX.exists():
        raise LabError(f"{BUSYBOX} is missing; run tools/lab/install-deps.sh")
    _copy(BUSYBOX, root, "bin/busybox")
    shutil.copy2(INIT, root / "init")
    # What the kernel was built from, for reports made inside the VM.
    (root / "ghost").mkdir()
    shutil.copy2(paths.PATCH_DIR / "series", root / "ghost" / "series")
    os.chmod(root / "init", 0o755)
    for binary in binaries:
        binary = pathlib.Path(binary)
        if not binary.exists():
            raise LabError(f"{binary} is missing; build it with bazel first")
        _copy(binary, root, f"ghost/bin/{binary.name}")
        for lib in shared_libraries(binary):
            _copy(lib, root)
    for workload in workloads:
        _copy(workload, root)
        for lib in shared_libraries(workload):
            _copy(lib, root)
    with open(output, "wb") as out:
        find = subprocess.Popen(["find", "."], cwd=root, stdout=subprocess.PIPE)
        cpio = subprocess.Popen(["cpio", "-o", "-H", "newc", "--owner=0:0",
                                 "--quiet"], cwd=root, stdin=find.stdout,
                                stdout=subprocess.PIPE)
        gz = subprocess.Popen(["gzip", "-6"], stdin=cpio.stdout, stdout=out)
        find.stdout.close()
        cpio.stdout.close()
        if gz.wait() or cpio.wait() or find.wait():
            raise LabError("packing the initramfs failed (find | cpio | gzip)")
    shutil.rmtree(root)
    done(f"{output} ({output.stat().st_size // 1024} KiB)")
    return output
