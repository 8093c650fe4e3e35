"""Command line of the lab: `tools/ghost lab <subcommand> --help`."""

import argparse
import sys

from lab import kernel
from lab.progress import LabError


def _add_flavour(parser):
    parser.add_argument("--flavour", choices=kernel.FLAVOURS,
                        default="default",
                        help="kernel flavour: default (fast) or debug "
                             "(lockdep, KASAN, atomic-sleep checks)")


def _cmd_kernel(args):
    image = kernel.build(args.flavour, jobs=args.jobs)
    print(image)
    return 0


def parser():
    top = argparse.ArgumentParser(
        prog="tools/ghost",
        description="ghost: delegated scheduling for Linux. The lab builds "
                    "the patched kernel and runs it under QEMU.")
    sub = top.add_subparsers(dest="area", required=True)
    lab = sub.add_parser("lab", help="the VM lab: kernel, initramfs, QEMU, "
                                     "tests, demo")
    labsub = lab.add_subparsers(dest="command", required=True)

    p = labsub.add_parser(
        "kernel", help="build (or find in the cache) the patched kernel",
        description="Unpacks Debian's linux-source-6.12, applies "
                    "kernel-patches/series, merges the config fragments, "
                    "checks them and builds bzImage. Cached outside the "
                    "clone by a hash of source version, patches and config; "
                    "prints the bzImage path.")
    _add_flavour(p)
    p.add_argument("--jobs", type=int, help="make -j (default: all cores)")
    p.set_defaults(func=_cmd_kernel)
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
