"""Building and testing userspace with Bazel, and counting test cases."""

import pathlib
import re
import subprocess
import xml.etree.ElementTree as ET

from lab import paths
from lab.progress import LabError, done, run_logged, step

_ACTION = re.compile(r"^\[([\d,]+) / ([\d,]+)\]")


def _status(line):
    m = _ACTION.match(line)
    return f"{m.group(1)}/{m.group(2)} actions" if m else None


def _bazel(args, log):
    return run_logged(["bazel", *args], log, cwd=paths.REPO,
                      env=paths.system_env(), status=_status, interval=20)


def build(targets=("//...",), log=None):
    log = log or paths.OUT / "bazel-build.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    step(f"bazel: building {' '.join(targets)} (log: {log})")
    if _bazel(["build", "--color=no", "--curses=no", *targets], log) != 0:
        raise LabError("bazel build failed:\n" + _errors(log) +
                       f"\nfull log: {log}")
    done()


def test(targets=("//...",), log=None):
    """Runs bazel test; returns (passed, failed, failed_names)."""
    log = log or paths.OUT / "bazel-test.log"
    step(f"host tests: bazel test {' '.join(targets)} (log: {log})")
    rc = _bazel(["test", "--color=no", "--curses=no", *targets], log)
    passed, failed, names = count_cases(paths.REPO / "bazel-testlogs")
    if rc != 0 and not failed:
        raise LabError("bazel test failed before running tests:\n" +
                       _errors(log) + f"\nfull log: {log}")
    done(f"{passed} passed, {failed} failed")
    return passed, failed, names


# What runs in the VM (agents, the bench, the VM tests) is built optimized,
# with debug info: unoptimized agents cost 5-10x more per decision, which
# every VM measurement and every timing in the tests would inherit.
VM_FLAGS = ("--compilation_mode=opt", "--copt=-g")
# A target's output files, one per line (bazel cquery --output=starlark).
_FILES_EXPR = '"\\n".join([f.path for f in target.files.to_list()])'


def build_vm(targets, log=None):
    """Builds the binaries that run in the VM with VM_FLAGS."""
    log = log or paths.OUT / "bazel-build-vm.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    step("bazel: building what runs in the VM optimized (-c opt, debug "
         f"info): {' '.join(targets)} (log: {log})")
    if _bazel(["build", "--color=no", "--curses=no", *VM_FLAGS, *targets],
              log) != 0:
        raise LabError("bazel build failed:\n" + _errors(log) +
                       f"\nfull log: {log}")
    done()


def vm_binary(label):
    """Path of a cc_binary built by build_vm(), e.g. //tools/ghostctl:ghostctl."""
    proc = subprocess.run(
        # (Debian's Bazel has no --output=files.)
        ["bazel", "cquery", "--color=no", "--curses=no", *VM_FLAGS,
         "--output=starlark", f"--starlark:expr={_FILES_EXPR}", label],
        cwd=paths.REPO, env=paths.system_env(), capture_output=True,
        text=True)
    files = [l for l in proc.stdout.splitlines() if l.strip()]
    path = paths.REPO / files[0] if proc.returncode == 0 and files else None
    if path is None or not path.exists():
        raise LabError(f"no optimized build of {label}; run tools/ghost lab "
                       f"initramfs (bazel cquery said: {proc.stderr[-300:]})")
    return path.resolve()


def _errors(log):
    lines = pathlib.Path(log).read_text(errors="replace").splitlines()
    errs = [l for l in lines if l.startswith("ERROR") or ": error" in l]
    return "\n".join(errs[-15:] or lines[-15:])


def count_cases(testlogs):
    """Counts test cases over all test.xml files under `testlogs`.

    GoogleTest writes one <testcase> per case. Python tests get a single
    <testcase> from Bazel, so their test.log's "Ran N tests" line is used.
    """
    passed = failed = 0
    failed_names = []
    for xml in sorted(pathlib.Path(testlogs).glob("**/test.xml")):
        target = str(xml.parent.relative_to(testlogs))
        log = xml.parent / "test.log"
        text = log.read_text(errors="replace") if log.exists() else ""
        ran = re.search(r"^Ran (\d+) tests? in", text, re.M)
        if ran:
            n = int(ran.group(1))
            bad = re.search(r"^FAILED \((.*)\)", text, re.M)
            nbad = sum(int(x) for x in re.findall(r"=(\d+)", bad.group(1))) \
                if bad else 0
            passed += n - nbad
            failed += nbad
            if nbad:
                failed_names.append(target)
            continue
        try:
            root = ET.parse(xml).getroot()
        except ET.ParseError:
            failed += 1
            failed_names.append(target)
            continue
        for case in root.iter("testcase"):
            if case.find("failure") is not None or \
                    case.find("error") is not None:
                failed += 1
                failed_names.append(f"{target}: {case.get('name')}")
            else:
                passed += 1
    return passed, failed, failed_names
