"""Where the lab finds the repository and keeps its cache."""

import os
import pathlib

REPO = pathlib.Path(__file__).resolve().parents[2]
PATCH_DIR = REPO / "kernel-patches"

# The cache lives outside the clone so that a fresh clone reuses a kernel
# built from the same patches. GHOST_CACHE overrides it (e.g. to prove that a
# build from an empty cache works).
CACHE = pathlib.Path(
    os.environ.get("GHOST_CACHE", pathlib.Path.home() / ".cache" / "ghost"))

# Outputs of one lab invocation that belong to this clone (initramfs, logs,
# VM results); ignored by git.
OUT = REPO / "out"

# Debian's Python, not whatever a version manager put first on PATH: kernel
# scripts (checkpatch's spdxcheck) need Debian's python3 modules.
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def system_env(**extra):
    env = dict(os.environ)
    env["PATH"] = SYSTEM_PATH
    env.update(extra)
    return env
