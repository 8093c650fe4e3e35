"""The uapi header exists twice: installed into the kernel by
kernel-patches/, and as lib/uapi/linux/ghost.h for userspace. This module
rebuilds the kernel's copy from the patch series so a test can compare."""

import pathlib
import re
import subprocess
import tempfile

from lab import patches

UAPI_PATH = "include/uapi/linux/ghost.h"


def sections_for(patch_text, path):
    """The `diff --git` sections of a patch that touch `path`."""
    sections = re.split(r"(?m)^(?=diff --git )", patch_text)
    return [s for s in sections
            if s.startswith(f"diff --git a/{path} b/{path}")]


def header_from_series(patch_dir, path=UAPI_PATH):
    """Applies, to an empty tree, every hunk of the series for `path`.
    Returns the resulting file's text, or None if no patch creates it."""
    series = patches.read_series(patch_dir)
    with tempfile.TemporaryDirectory() as tmp:
        for patch in series:
            for section in sections_for(patch.text, path):
                proc = subprocess.run(
                    ["patch", "-p1", "-f", "-s", "--no-backup-if-mismatch"],
                    cwd=tmp, input=section, text=True, capture_output=True)
                if proc.returncode != 0:
                    raise RuntimeError(f"{patch.name}: cannot apply its "
                                       f"{path} hunks: {proc.stdout}")
        target = pathlib.Path(tmp) / path
        return target.read_text() if target.exists() else None
