"""Runs the kernel's scripts/checkpatch.pl --strict on every patch.

A patch is clean when checkpatch reports nothing, except findings listed in
kernel-patches/checkpatch.allow (file and type, each with its reason).
"""

import re
import subprocess

from lab import kernel, patches, paths
from lab.progress import done, say, step

_FINDING = re.compile(r"^(ERROR|WARNING|CHECK):([A-Z_]+):")
_FILE = re.compile(r"FILE: ([^:]+):\d+:")


def read_allowlist(text):
    """{(file, TYPE)} from the allowlist's `<file> <TYPE>  # why` lines.

    `-` as the file stands for findings about the patch as a whole.
    """
    allowed = set()
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].split()
        if len(line) == 2:
            allowed.add((line[0], line[1]))
    return allowed


def findings(output):
    """[(level, TYPE, file or None, text)] from checkpatch --show-types."""
    found = []
    for block in re.split(r"\n\s*\n", output):
        lines = block.strip().splitlines()
        if not lines:
            continue
        m = _FINDING.match(lines[0])
        if not m:
            continue
        f = _FILE.search(block)
        found.append((m.group(1), m.group(2), f.group(1) if f else None,
                      block.strip()))
    return found


def unexpected(output, allowed):
    return [f for f in findings(output) if (f[2] or "-", f[1]) not in allowed]


def check_all():
    """Returns [(patch name, ok, report)] for the series."""
    tree = kernel.source_tree()
    script = tree / "scripts" / "checkpatch.pl"
    allow_file = paths.PATCH_DIR / "checkpatch.allow"
    allowed = read_allowlist(allow_file.read_text()) \
        if allow_file.exists() else set()
    results = []
    series = patches.read_series(paths.PATCH_DIR)
    step(f"checkpatch --strict on {len(series)} patches")
    for patch in series:
        proc = subprocess.run(
            ["perl", str(script), "--strict", "--no-color", "--show-types",
             "-"],
            input=patch.text, text=True, cwd=tree, env=paths.system_env(),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        bad = unexpected(proc.stdout, allowed)
        crashed = "total:" not in proc.stdout
        clean = not bad and not crashed
        results.append((patch.name, clean, proc.stdout))
        if not clean:
            say(f"  {patch.name} is not checkpatch-clean:")
            print("\n\n".join(f[3] for f in bad) if bad else proc.stdout)
    done()
    return results
