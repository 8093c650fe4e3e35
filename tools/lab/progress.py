"""Progress reporting for long lab steps, and running commands into a log.

Every step prints what it does and, when done, how long it took. Commands
whose output is long (kernel builds) go to a log file; the screen gets one
status line that is refreshed in place on a terminal, or printed every
`interval` seconds otherwise (CI logs stay short but show life).
"""

import subprocess
import sys
import time

_STEP_START = [time.monotonic()]


class LabError(Exception):
    """A failure the user can act on; the message says what and what to do."""


def fmt_duration(seconds):
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    return f"{seconds // 60}m{seconds % 60:02d}s"


def say(msg):
    print(f"[ghost] {msg}", flush=True)


def step(msg):
    _STEP_START[0] = time.monotonic()
    say(msg)


def done(msg="done"):
    say(f"  {msg} ({fmt_duration(time.monotonic() - _STEP_START[0])})")


def run_logged(cmd, log_path, *, cwd=None, env=None, status=None,
               interval=30, append=True):
    """Runs `cmd`, writing all of its output to `log_path`.

    `status(line)` maps an output line to a short progress text (or None);
    the latest one is shown with the elapsed time. Returns the exit code.
    """
    tty = sys.stdout.isatty()
    start = time.monotonic()
    last_print = start
    latest = ""
    with open(log_path, "a" if append else "w") as log:
        log.write(f"$ {' '.join(map(str, cmd))}\n")
        log.flush()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True,
                                errors="replace", bufsize=1)
        for line in proc.stdout:
            log.write(line)
            log.flush()  # so that `tail -f` on the log follows along
            if status:
                text = status(line)
                if text:
                    latest = text
            now = time.monotonic()
            if tty and now - last_print >= 1:
                _show(f"{fmt_duration(now - start)} {latest}", tty)
                last_print = now
            elif not tty and now - last_print >= interval:
                _show(f"{fmt_duration(now - start)} {latest}", tty)
                last_print = now
        rc = proc.wait()
    if tty:
        sys.stdout.write("\r\033[K")
        sys.stdout.flush()
    return rc


def _show(text, tty):
    text = f"[ghost]   ... {text}"
    if tty:
        sys.stdout.write("\r\033[K" + text[:150])
    else:
        sys.stdout.write(text[:150] + "\n")
    sys.stdout.flush()


def tail(path, n=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""
