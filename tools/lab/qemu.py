"""`ghost lab run`: boot the lab kernel in QEMU (TCG) and judge the run.

The host channel is a virtio-9p share (tag "ghostlab") mounted at /host in
the guest: the host writes cmd.sh there, the guest writes output.log,
dmesg.log, exit_status and any result files back.
"""

import os
import pathlib
import re
import select
import shutil
import subprocess
import time

from lab import verdict as verdict_mod
from lab.progress import LabError, fmt_duration, say
from lab.summary import time_breakdown

_KERNEL_LINE = re.compile(r"^\[\s*\d+\.\d+\]")
_START = "ghost-lab: running the guest command"
_END = "ghost-lab: guest command finished"


class RunResult:
    def __init__(self, run_dir, verdict, exit_status, elapsed):
        self.run_dir = run_dir
        self.verdict = verdict
        self.exit_status = exit_status
        self.elapsed = elapsed

    @property
    def share(self):
        return self.run_dir / "share"

    @property
    def ok(self):
        return self.verdict.ok


# ACPI SLIT distance between two nodes of a --numa VM (10 is local).
NUMA_REMOTE_DISTANCE = 20


def _mebibytes(memory):
    """QEMU's memory size syntax ("2G", "512M", "2048") in MiB."""
    m = re.fullmatch(r"(\d+)([MG]?)", memory.strip().upper())
    if not m:
        raise LabError(f"memory {memory!r}: give it as 512M or 2G for --numa")
    return int(m.group(1)) * (1024 if m.group(2) == "G" else 1)


def numa_args(nodes, smp, memory):
    """QEMU options for `nodes` NUMA nodes: CPUs and memory in equal
    contiguous blocks (node 0 has the first CPUs), every pair of nodes
    NUMA_REMOTE_DISTANCE apart."""
    if nodes <= 1:
        return []
    mib = _mebibytes(memory)
    if smp % nodes or mib % nodes:
        raise LabError(f"--numa {nodes} splits -smp {smp} and {memory} in "
                       f"{nodes} equal parts: give multiples of {nodes}")
    cpus, mem = smp // nodes, mib // nodes
    args = []
    for n in range(nodes):
        args += ["-object", f"memory-backend-ram,id=mem{n},size={mem}M",
                 "-numa", f"node,nodeid={n},cpus={n * cpus}-"
                          f"{(n + 1) * cpus - 1},memdev=mem{n}"]
    for a in range(nodes):
        for b in range(a + 1, nodes):
            args += ["-numa", f"dist,src={a},dst={b},"
                              f"val={NUMA_REMOTE_DISTANCE}"]
    return args


def smp_arg(smp, nodes):
    """QEMU's -smp value: with several NUMA nodes, one socket per node, so
    that no cache is shared across nodes (the kernel warns at boot, in
    topology_sane(), when CPUs of one socket sit on two nodes)."""
    if nodes <= 1:
        return str(smp)
    return f"{smp},sockets={nodes},cores={smp // nodes},threads=1"


def qemu_command(kernel, initramfs, share, *, smp, memory, append="",
                 numa=1):
    cmd = ["qemu-system-x86_64", "-machine", "q35", "-cpu", "max",
           "-smp", smp_arg(smp, numa), "-m", memory,
           *numa_args(numa, smp, memory),
           "-no-reboot", "-nic", "none",
           "-kernel", str(kernel), "-initrd", str(initramfs),
           "-virtfs", f"local,path={share},mount_tag=ghostlab,"
                      "security_model=none,id=ghostlab",
           "-append", "console=ttyS0 panic=-1 oops=panic "
                      "softlockup_panic=0 " + append]
    # Multi-threaded TCG slows down badly with more vCPUs than host cores.
    if smp > 2 * (os.cpu_count() or 1):
        cmd += ["-accel", "tcg,thread=single"]
    return cmd


def prepare_run_dir(run_dir, command):
    run_dir = pathlib.Path(run_dir)
    shutil.rmtree(run_dir, ignore_errors=True)
    share = run_dir / "share"
    share.mkdir(parents=True)
    (share / "cmd.sh").write_text("set -e\n" + command + "\n")
    return run_dir


def run(kernel, initramfs, command, run_dir, *, smp=4, memory="2G",
        timeout=300, echo=True, numa=1):
    """Boots the VM, runs `command` (shell) in it, returns a RunResult.

    With `echo`, the guest command's output is shown live (kernel messages
    only go to the console log).
    """
    if not shutil.which("qemu-system-x86_64"):
        raise LabError("qemu-system-x86_64 is missing; run "
                       "tools/lab/install-deps.sh")
    run_dir = prepare_run_dir(run_dir, command)
    share = run_dir / "share"
    console_log = run_dir / "console.log"
    cmd = qemu_command(kernel, initramfs, share, smp=smp, memory=memory,
                       numa=numa)
    (run_dir / "qemu-command.txt").write_text(" ".join(cmd) + "\n")
    start = time.monotonic()
    timed_out = False
    in_command = False
    with open(console_log, "w") as log:
        proc = subprocess.Popen(
            cmd + ["-display", "none", "-serial", "stdio", "-monitor", "none"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT)
        buf = b""
        while True:
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                timed_out = True
                proc.kill()
                break
            ready, _, _ = select.select([proc.stdout], [], [], min(left, 1))
            if not ready:
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for raw in lines:
                line = raw.decode("utf-8", "replace").rstrip("\r")
                stamp = time.monotonic() - start
                log.write(f"{stamp:8.3f} {line}\n")
                if line.startswith(_END):
                    in_command = False
                if echo and in_command and not _KERNEL_LINE.match(line):
                    print(f"  | {line}", flush=True)
                if line.startswith(_START):
                    in_command = True
            log.flush()
        if buf:
            log.write(buf.decode("utf-8", "replace") + "\n")
        qemu_rc = proc.wait()
    elapsed = time.monotonic() - start
    status_file = share / "exit_status"
    exit_status = None
    if status_file.exists():
        try:
            exit_status = int(status_file.read_text().strip())
        except ValueError:
            exit_status = None
    console = _strip_stamps(console_log.read_text(errors="replace"))
    dmesg = share / "dmesg.log"
    if dmesg.exists():
        # The console can miss lines the guest printed at a lower log level.
        console += "\n" + dmesg.read_text(errors="replace")
    v = verdict_mod.judge(console, exit_status=exit_status,
                          timed_out=timed_out, timeout_s=timeout,
                          qemu_rc=qemu_rc)
    return RunResult(run_dir, v, exit_status, elapsed)


def _strip_stamps(text):
    return "\n".join(line[9:] if len(line) > 9 and line[8] == " " else line
                     for line in text.splitlines())


def report(result, what="VM run", phases=None):
    """Prints the verdict; returns 0 if the run passed, 1 if not.

    `phases`, (name, seconds) pairs of what ran before the VM, make the
    line give the whole run's time and where it went.
    """
    if phases is None:
        took = f"({fmt_duration(result.elapsed)})"
    else:
        took = "in " + time_breakdown(list(phases) + [("VM", result.elapsed)])
    if result.ok:
        say(f"{what}: passed {took}; logs in {result.run_dir}")
        return 0
    say(f"{what}: FAILED {took}")
    for problem in result.verdict.problems:
        say(f"  - {problem}")
    for excerpt in result.verdict.excerpts[:5]:
        say("  console excerpt:")
        for line in excerpt.splitlines():
            print(f"      {line}")
    say(f"  full console log: {result.run_dir / 'console.log'}")
    return 1


def shell(kernel, initramfs, run_dir, *, smp=4, memory="2G", numa=1):
    """An interactive shell in the VM (serial console on this terminal)."""
    run_dir = prepare_run_dir(run_dir, "true")
    cmd = qemu_command(kernel, initramfs, run_dir / "share", smp=smp,
                       memory=memory, append="ghostlab.shell", numa=numa)
    say("starting the lab VM with a shell; Ctrl-A X quits QEMU")
    return subprocess.call(cmd + ["-nographic"])
