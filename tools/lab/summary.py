"""One-line summaries of a lab run: where the time went, and which command.

Pure functions, so the host tests check them (tests/summary_test.py).
"""

from lab.progress import fmt_duration


def short_command(command, limit=40):
    """`command` on one line, quoted, cut to about `limit` characters."""
    flat = " ".join(command.split())
    if len(flat) > limit:
        flat = flat[:limit - 3].rstrip() + "..."
    return repr(flat)


def time_breakdown(phases):
    """'16m05s (build 1m10s, kernel 14m02s, VM 53s)' from (name, seconds).

    The total is the sum of the phases; a phase shorter than a second is
    still named, so the reader sees that it ran (e.g. a cached kernel).
    """
    total = sum(seconds for _, seconds in phases)
    parts = ", ".join(f"{name} {fmt_duration(seconds)}"
                      for name, seconds in phases)
    return f"{fmt_duration(total)} ({parts})"
