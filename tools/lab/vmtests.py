"""Reading the VM test runner's output (`ok N name` / `not ok N name`)."""

import re

_LINE = re.compile(r"^(ok|not ok) (\d+) (\S+)(.*)$")


def parse_tap(text):
    """Returns (passed_names, failed_names) from ghost_vm_tests output."""
    passed, failed = [], []
    for line in text.splitlines():
        m = _LINE.match(line.strip())
        if not m:
            continue
        (passed if m.group(1) == "ok" else failed).append(m.group(3))
    return passed, failed


def skipped(text):
    """Names of the cases the runner reported as skipped."""
    names = []
    for line in text.splitlines():
        m = _LINE.match(line.strip())
        if m and m.group(1) == "ok" and "# skipped" in m.group(4):
            names.append(m.group(3))
    return names


# The cases that need a VM with two NUMA nodes: `lab test` runs them in a
# boot of their own and leaves them out of its one-node boot.
NUMA_CASES = "Numa*"


def _parts(gtest_filter):
    """(positive patterns, negative part) of a GoogleTest filter."""
    positive, _, negative = (gtest_filter or "*").partition("-")
    patterns = [p for p in positive.split(":") if p] or ["*"]
    return patterns, negative


def numa_filter(gtest_filter):
    """The NUMA boot's filter for `lab test --filter` (None: no filter):
    the NUMA cases, or those of the filter's patterns that name them; None
    if it names none."""
    patterns, negative = _parts(gtest_filter)
    if patterns == ["*"]:
        numa = [NUMA_CASES]
    else:
        numa = [p for p in patterns if "Numa" in p]
    excluded = any("Numa" in n or n == "*" for n in negative.split(":"))
    if not numa or excluded:
        return None
    return ":".join(numa) + (f"-{negative}" if negative else "")


def wants_numa_boot(gtest_filter):
    """Whether `lab test --filter` leaves any NUMA case to run."""
    return numa_filter(gtest_filter) is not None


def only_numa_cases(gtest_filter):
    """Whether `lab test --filter` selects NUMA cases alone (then the
    one-node boot has nothing to run)."""
    patterns, _ = _parts(gtest_filter)
    return patterns != ["*"] and all("Numa" in p for p in patterns)


def without_numa_cases(gtest_filter):
    """`gtest_filter` (None: every case) without the NUMA cases."""
    patterns, negative = _parts(gtest_filter)
    negative = ":".join(n for n in (negative, NUMA_CASES) if n)
    return ":".join(patterns) + "-" + negative


def summary_line(text):
    """The runner's closing `N passed, N failed` line, or None."""
    for line in reversed(text.splitlines()):
        if re.match(r"^\d+ passed, \d+ failed", line.strip()):
            return line.strip()
    return None
