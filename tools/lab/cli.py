"""Command line of the lab: `tools/ghost lab <subcommand> --help`."""

import argparse
import os
import sys

from lab import (bazel, checkpatch, experiment, initramfs, kernel, paths, qemu,
                 series_check, soak, summary, testrun)
from lab.progress import LabError, say


def _add_flavour(parser, default="default"):
    parser.add_argument("--flavour", choices=kernel.FLAVOURS, default=default,
                        help="kernel flavour: default (fast) or debug "
                             "(lockdep, KASAN, atomic-sleep checks); "
                             f"default: {default}")


def _add_vm(parser, timeout):
    parser.add_argument("--smp", type=int, default=4,
                        help="virtual CPUs (default 4)")
    parser.add_argument("--memory", default="2G",
                        help="guest memory, QEMU syntax (default 2G)")
    parser.add_argument("--timeout", type=int, default=timeout,
                        help=f"hard limit in seconds (default {timeout})")


def _add_numa(parser):
    parser.add_argument("--numa", type=int, default=1, metavar="N",
                        help="NUMA nodes of the VM (default 1). With N > 1 "
                             "the CPUs and memory are split in N equal "
                             "blocks (remote distance "
                             f"{qemu.NUMA_REMOTE_DISTANCE}); the lab's "
                             "kernels support NUMA")


def _add_no_deps(parser):
    parser.add_argument("--no-deps", action="store_true",
                        help="skip the apt dependency check")


def _cmd_deps(args):
    testrun.install_deps()
    return 0


def _cmd_kernel(args):
    print(kernel.build(args.flavour, jobs=args.jobs))
    return 0


def _cmd_initramfs(args):
    bazel.build_vm(testrun.VM_BINARIES)
    print(testrun.build_initramfs(args.flavour))
    return 0


def _image_and_initrd(args):
    image = kernel.build(args.flavour)
    bazel.build_vm(testrun.VM_BINARIES)
    return image, testrun.build_initramfs(args.flavour)


def _cmd_run(args):
    image, initrd = _image_and_initrd(args)
    result = qemu.run(image, initrd, args.command,
                      paths.OUT / "vm" / "run", smp=args.smp,
                      memory=args.memory, timeout=args.timeout,
                      numa=args.numa)
    return qemu.report(result,
                       f"VM run of {summary.short_command(args.command)}")


def _cmd_shell(args):
    image, initrd = _image_and_initrd(args)
    return qemu.shell(image, initrd, paths.OUT / "vm" / "shell",
                      smp=args.smp, memory=args.memory, numa=args.numa)


def _cmd_checkpatch(args):
    kernel.build(args.flavour)  # makes sure the source tree exists
    results = checkpatch.check_all()
    bad = [name for name, ok, _ in results if not ok]
    say(f"checkpatch: {len(results) - len(bad)} clean, {len(bad)} not")
    return 1 if bad else 0


def parser():
    top = argparse.ArgumentParser(
        prog="tools/ghost",
        description="ghost: delegated scheduling for Linux. `tools/ghost lab "
                    "demo` boots the lab and shows ghost running; "
                    "`tools/ghost lab test` runs every test.")
    sub = top.add_subparsers(dest="area", required=True)
    lab = sub.add_parser("lab", help="the VM lab: kernel, initramfs, QEMU, "
                                     "tests, demo",
                         description="The lab builds the patched kernel, "
                                     "packs an initramfs and boots QEMU. "
                                     "See docs/lab.md.")
    labsub = lab.add_subparsers(dest="command", required=True)

    p = labsub.add_parser(
        "demo", help="the main job: build, boot the lab, show ghost running",
        description="Installs dependencies, builds userspace and the kernel, "
                    "boots the lab VM, mounts ghostfs and prints a report.")
    _add_flavour(p)
    _add_vm(p, timeout=300)
    _add_no_deps(p)
    p.set_defaults(func=testrun.run_demo)

    p = labsub.add_parser(
        "test", help="run every test tier and print 'N passed, N failed'",
        description="deps -> bazel build -> host tests -> kernel (cached) -> "
                    "checkpatch -> initramfs -> VM tests -> lab self-tests. "
                    "Exits non-zero if anything failed.")
    _add_flavour(p, default="debug")
    _add_vm(p, timeout=1500)
    _add_no_deps(p)
    p.add_argument("--filter", help="GoogleTest filter for the VM tests, "
                                    "e.g. 'Ghostfs*'")
    p.add_argument("--quick", action="store_true",
                   help="skip the lab self-tests (panic, hang)")
    p.add_argument("--no-experiments", action="store_true",
                   help="skip the experiments' quick runs (also skipped "
                        "with --filter)")
    _add_numa(p)
    p.set_defaults(func=testrun.run_tests)

    p = labsub.add_parser(
        "bench", help="microbenchmarks: ghost vs CFS in the same boot",
        description="Boots the lab and measures local schedules, remote "
                    "latches and message delivery against CFS context "
                    "switches and wakeups; prints ratios and writes "
                    "out/bench/microbench.json. The remote targets are CPUs "
                    "2..smp-1: --smp 8 adds a group commit of 6 CPUs in one "
                    "call (docs/benchmarks.md).")
    _add_flavour(p)
    _add_vm(p, timeout=1800)
    _add_no_deps(p)
    p.add_argument("--rounds", type=int, default=2000,
                   help="rounds per measurement (default 2000)")
    p.add_argument("--bench-args", default="",
                   help="more flags for ghost_microbench, e.g. "
                        "'--wait_limit_ms=2000' (docs/benchmarks.md)")
    p.add_argument("--no-microbench", dest="microbench",
                   action="store_false",
                   help="only the workloads")
    p.add_argument("--workloads", default="all",
                   help="comma-separated workloads to time under CFS and "
                        "each agent (fork,exec,threads,yield,pipe,oversub), "
                        "'all' (default) or 'none'")
    p.add_argument("--repeat", type=int, default=3,
                   help="rounds of the workloads; the table gives medians "
                        "(default 3)")
    p.add_argument("--policies", default="",
                   help="agents to time the workloads under (default "
                        "fifo_percpu,fifo_centralized)")
    p.add_argument("--scale", type=float, default=1.0,
                   help="multiply every workload's units by this")
    p.set_defaults(func=testrun.run_bench)

    p = labsub.add_parser(
        "experiment", help="RocksDB and antagonist experiments: CFS vs ghost",
        description="Boots the lab once, fills a RocksDB database, "
                    "calibrates the service times to this VM, sweeps the "
                    "offered load over the modes (CFS, ghost centralized "
                    "FIFO, Shinjuku; --modes for others), repeats each "
                    "point, "
                    "and writes out/experiments/NAME/results.{csv,json} and "
                    "plots (PNG, SVG). --quick: a few short points, checked "
                    "(the test command runs it). docs/experiments.md.")
    p.add_argument("name", choices=["rocksdb", "antagonist"])
    p.add_argument("--quick", action="store_true",
                   help="a few points of a few seconds; fails unless every "
                        "mode completes what was offered")
    p.add_argument("--loads", help="comma-separated offered loads "
                                   "(fractions of capacity), e.g. 0.2,0.5")
    p.add_argument("--repeats", type=int, help="repeats per point")
    p.add_argument("--duration", type=float,
                   help="measured seconds per run")
    p.add_argument("--modes", help="comma-separated modes (default: the "
                                   "experiment's; see lab/experiment_modes.py)")
    _add_flavour(p)
    _add_vm(p, timeout=0)
    _add_no_deps(p)
    p.set_defaults(func=experiment.run_experiment)

    p = labsub.add_parser(
        "soak", help="minutes of workloads under agents replaced every 30 s",
        description="Runs stress-ng (fork, clone, exec, switch, futex, "
                    "mmap) and hackbench in an enclave for --seconds while "
                    "the FIFO agent is upgraded in place or killed and "
                    "restarted every 30 s, on the debug kernel. Fails on a "
                    "watchdog trip, leaked kernel objects or any kernel "
                    "report. Not part of `lab test`.")
    _add_flavour(p, default="debug")
    _add_vm(p, timeout=0)
    _add_no_deps(p)
    p.add_argument("--seconds", type=int, default=600,
                   help="how long the workloads run (default 600)")
    p.set_defaults(func=soak.run_soak)

    p = labsub.add_parser("deps", help="install missing apt packages",
                          description="Runs tools/lab/install-deps.sh.")
    p.set_defaults(func=_cmd_deps)

    p = labsub.add_parser(
        "kernel", help="build (or find in the cache) the patched kernel",
        description="Unpacks Debian's linux-source-6.12, applies "
                    "kernel-patches/series, merges the config fragments, "
                    "checks them and builds bzImage. Cached outside the "
                    "clone (GHOST_CACHE, default ~/.cache/ghost) by a hash "
                    "of source version, patches and config; the build tree "
                    "is kept, so editing one patch rebuilds incrementally. "
                    "Prints the bzImage path.")
    _add_flavour(p)
    _add_numa(p)
    p.add_argument("--jobs", type=int, help="make -j (default: all cores)")
    p.set_defaults(func=_cmd_kernel)

    p = labsub.add_parser(
        "initramfs", help="pack busybox, our binaries and workloads",
        description="Builds the VM binaries with Bazel and packs them with "
                    "busybox-static and the workloads into out/.")
    _add_flavour(p)
    p.set_defaults(func=_cmd_initramfs)

    p = labsub.add_parser(
        "run", help="boot the lab and run one shell command in it",
        description="Boots the lab VM, runs COMMAND (busybox sh) with the "
                    "host share at /host, and fails on a non-zero status, a "
                    "timeout or any kernel report (panic, BUG, WARNING, "
                    "Oops, lockdep, KASAN, RCU stall, hung task).")
    p.add_argument("command", help="shell command to run in the guest")
    _add_flavour(p)
    _add_vm(p, timeout=300)
    _add_numa(p)
    p.set_defaults(func=_cmd_run)

    p = labsub.add_parser("shell", help="an interactive shell in the lab VM",
                          description="Boots the lab VM with a shell on "
                                      "this terminal. Ctrl-A X quits.")
    _add_flavour(p)
    _add_vm(p, timeout=0)
    _add_numa(p)
    p.set_defaults(func=_cmd_shell)

    p = labsub.add_parser(
        "series-check", help="build the kernel after every patch",
        description="Applies kernel-patches/series one patch at a time to a "
                    "source tree of its own and runs an incremental `make "
                    "vmlinux` after each, so every prefix of the series is "
                    "known to build (bisectable). Uses a small config, "
                    "tinyconfig + kernel-patches/series-check.config: SMP, "
                    "preemption, ghost, tracepoints, lockdep and "
                    "CONFIG_WERROR (a new warning fails too); sched_ext, "
                    "drivers and debug info are left out, nothing is "
                    "booted. Stops at the first patch that does not build "
                    "and prints its compiler errors. Cold: about as long "
                    "as a lab kernel build, then ~1-3 min per patch. Not "
                    "part of `lab test`.")
    p.add_argument("--from", dest="start", type=int, default=1,
                   help="first patch to build (1-based; the ones before "
                        "are applied, not built); default 1")
    p.add_argument("--jobs", type=int, default=os.cpu_count(),
                   help="make -j (default: all cores)")
    p.set_defaults(func=series_check.run)

    p = labsub.add_parser("checkpatch",
                          help="checkpatch.pl --strict on every patch")
    _add_flavour(p)
    p.set_defaults(func=_cmd_checkpatch)
    return top


def main(argv):
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except LabError as e:
        print(f"[ghost] error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("[ghost] interrupted", file=sys.stderr)
        return 130
