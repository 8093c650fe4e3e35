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


def summary_line(text):
    """The runner's closing `N passed, N failed` line, or None."""
    for line in reversed(text.splitlines()):
        if re.match(r"^\d+ passed, \d+ failed", line.strip()):
            return line.strip()
    return None
