"""The kernel patch series: read it, and bring a source tree to it.

The lab keeps one patched source tree in its cache. Moving that tree from the
series it has to the series in the clone reverts the old patches and applies
the new ones; files whose content ends up unchanged get their old mtime back,
so `make` rebuilds only what a patch edit really changed (touching
include/linux/sched.h needlessly would cost a ~11 minute rebuild).
"""

import hashlib
import os
import pathlib
import re
import subprocess

from lab.progress import LabError

STATE_DIR = ".ghost-lab"


class Patch:
    def __init__(self, name, text):
        self.name = name
        self.text = text

    def __eq__(self, other):
        return (self.name, self.text) == (other.name, other.text)

    def files(self):
        """Paths (relative to the tree) that this patch creates or edits."""
        paths = set()
        for line in self.text.splitlines():
            if line.startswith(("--- ", "+++ ")):
                path = line[4:].split("\t")[0].strip()
                if path == "/dev/null":
                    continue
                paths.add(path.split("/", 1)[1] if "/" in path else path)
        return paths


def read_series(folder):
    """Returns the patches named in `folder`/series, in order."""
    folder = pathlib.Path(folder)
    series = folder / "series"
    if not series.exists():
        return []
    patches = []
    for lineno, raw in enumerate(series.read_text().splitlines(), 1):
        name = raw.split("#", 1)[0].strip()
        if not name:
            continue
        path = folder / name
        if not path.is_file():
            raise LabError(f"{series}:{lineno}: patch {name} is listed but "
                           f"{path} does not exist")
        patches.append(Patch(name, path.read_text()))
    return patches


def failed_files(patch_output):
    """The files a failed `patch` run could not patch, from its output."""
    failed = []
    current = None
    for line in patch_output.splitlines():
        m = re.match(r"(?:checking|patching) file (.+)$", line)
        if m:
            current = m.group(1).strip("'\"")
            continue
        if current and ("FAILED" in line or "No such file" in line
                        or "can't find file" in line) and current not in failed:
            failed.append(current)
        if "can't find file to patch" in line:
            failed.append("(a file the patch expects but the tree lacks)")
    return failed


def _run_patch(tree, patch, *, reverse=False, dry_run=False):
    # --fuzz=0: a patch whose context does not match exactly was written
    # for other sources; applying it anyway could build the wrong kernel.
    cmd = ["patch", "-p1", "-f", "--fuzz=0", "--no-backup-if-mismatch"]
    if reverse:
        cmd.append("-R")
    if dry_run:
        cmd.append("--dry-run")
    proc = subprocess.run(cmd, cwd=tree, input=patch.text, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return proc.returncode, proc.stdout


def _digest(path):
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def applied(tree):
    """The series currently applied to `tree` (as recorded by `sync`)."""
    return read_series(pathlib.Path(tree) / STATE_DIR / "applied")


def _record(tree, patches):
    folder = pathlib.Path(tree) / STATE_DIR / "applied"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    for patch in patches:
        (folder / patch.name).write_text(patch.text)
    (folder / "series").write_text("".join(p.name + "\n" for p in patches))


def sync(tree, wanted, *, source_label):
    """Makes `tree` hold exactly the `wanted` patches. Returns True if the
    tree changed. Raises LabError naming the patch and files on a conflict,
    leaving the tree with no patch applied."""
    tree = pathlib.Path(tree)
    have = applied(tree)
    if have == wanted:
        return False
    touched = set()
    for patch in have + wanted:
        touched |= patch.files()
    before = {}
    for rel in touched:
        path = tree / rel
        if path.exists():
            before[rel] = (_digest(path), path.stat().st_mtime_ns)

    for index in reversed(range(len(have))):
        rc, out = _run_patch(tree, have[index], reverse=True)
        if rc != 0:
            raise LabError(
                f"cannot revert {have[index].name} in the cached tree {tree}; "
                f"it was edited by hand. Delete {tree} and run again.\n{out}")
        _record(tree, have[:index])

    done = []
    try:
        for patch in wanted:
            rc, out = _run_patch(tree, patch, dry_run=True)
            if rc != 0:
                files = ", ".join(failed_files(out)) or "(see below)"
                raise LabError(
                    f"kernel patch {patch.name} does not apply to "
                    f"{source_label}: conflict in {files}\n"
                    f"patch said:\n{out.strip()}")
            rc, out = _run_patch(tree, patch)
            if rc != 0:
                raise LabError(f"kernel patch {patch.name} failed to apply "
                               f"after a clean dry run:\n{out}")
            done.append(patch)
            _record(tree, done)
    except LabError:
        for patch in reversed(done):
            _run_patch(tree, patch, reverse=True)
        _record(tree, [])
        _restore_mtimes(tree, before)
        raise
    _restore_mtimes(tree, before)
    return True


def _restore_mtimes(tree, before):
    for rel, (digest, mtime_ns) in before.items():
        path = tree / rel
        if path.exists() and _digest(path) == digest:
            os.utime(path, ns=(mtime_ns, mtime_ns))
