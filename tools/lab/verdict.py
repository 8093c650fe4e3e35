"""The lab's verdict on a VM run: did the kernel stay healthy?

A run fails if the guest command failed or never reported, if QEMU timed out,
or if the console shows any kernel report in `KERNEL_REPORTS`. The offending
lines (with a little context) are returned for printing.
"""

import re

# (name, regex) pairs, matched against each console line.
KERNEL_REPORTS = [
    ("kernel panic", re.compile(r"Kernel panic - not syncing")),
    ("BUG", re.compile(r"\bBUG: ")),
    ("WARNING", re.compile(r"\bWARNING: ")),
    ("Oops", re.compile(r"\bOops\b|general protection fault")),
    ("lockdep", re.compile(r"possible circular locking dependency|"
                           r"inconsistent lock state|possible recursive "
                           r"locking|suspicious RCU usage|"
                           r"lock held when returning to user space|"
                           r"INFO: lockdep is turned off")),
    ("KASAN", re.compile(r"KASAN: |kasan_report")),
    ("RCU stall", re.compile(r"rcu: INFO: rcu_\w+ (self-)?detected stall|"
                             r"rcu_\w+ detected stalls")),
    ("hung task", re.compile(r"INFO: task .* blocked for more than")),
    ("soft lockup", re.compile(r"watchdog: BUG: soft lockup")),
    ("sleep in atomic", re.compile(r"BUG: sleeping function called from "
                                   r"invalid context|scheduling while atomic")),
    ("stack trace", re.compile(r"^\s*(\[\s*\d+\.\d+\]\s*)?Call Trace:")),
]


class Verdict:
    def __init__(self):
        self.problems = []   # human-readable reasons, first one is the cause
        self.excerpts = []   # console lines worth showing

    @property
    def ok(self):
        return not self.problems

    def fail(self, reason):
        self.problems.append(reason)


def scan_console(text, context=6):
    """Returns [(report name, excerpt)] for kernel reports in `text`."""
    lines = text.splitlines()
    found = []
    skip_until = -1
    for index, line in enumerate(lines):
        if index <= skip_until:
            continue
        for name, pattern in KERNEL_REPORTS:
            if pattern.search(line):
                end = min(len(lines), index + context + 1)
                found.append((name, "\n".join(lines[index:end])))
                skip_until = end - 1
                break
    return found


def judge(console_text, *, exit_status, timed_out, timeout_s,
          qemu_rc=None):
    """Combines what the run produced into a Verdict.

    `exit_status` is the guest command's status as reported over the host
    channel, or None if it never reported.
    """
    v = Verdict()
    for name, excerpt in scan_console(console_text):
        v.fail(f"kernel report: {name}")
        v.excerpts.append(excerpt)
    if timed_out:
        v.fail(f"the VM did not finish within {timeout_s} s (hard timeout); "
               "the guest command hung or the kernel locked up")
    elif exit_status is None:
        v.fail("the guest command never reported an exit status "
               "(the VM crashed, rebooted or powered off early)"
               + (f"; qemu exited with {qemu_rc}" if qemu_rc else ""))
    elif exit_status != 0:
        v.fail(f"the guest command exited with status {exit_status}")
    if not v.excerpts and v.problems:
        tail = console_text.splitlines()[-15:]
        v.excerpts.append("\n".join(tail))
    return v
