"""Which linux-source-6.12 version the lab builds.

Debian replaces linux-source-6.12 with every security update, so the version
the series was tested on (kernel-patches/source-version, "the pinned one")
disappears from apt every few weeks. The rule:

  1. the pinned version, whenever apt (or the installed package) still has it;
  2. otherwise the newest version apt has to which every patch of the series
     applies exactly (patch --fuzz=0), with one line naming both versions;
  3. if no version takes the series, the run stops with the conflict of the
     newest one and how to rebase.

This module is the policy alone: what apt offers and whether the series
applies are asked through the callables passed in, so host tests can play
every case (kernel.py passes the real ones).
"""

from lab import debversion
from lab.progress import LabError

PACKAGE = "linux-source-6.12"


class Choice:
    """The version to build, and the line to print when it is not pinned."""

    def __init__(self, version, note=None):
        self.version = version
        self.note = note

    def __repr__(self):
        return f"Choice({self.version!r}, {self.note!r})"


def rebase_advice(pinned, newest):
    return (
        f"To rebase the series onto {newest}: unpack its "
        f"/usr/src/{PACKAGE}.tar.xz (apt-get download {PACKAGE}={newest}; "
        "dpkg-deb -x), apply kernel-patches/ in `series` order with "
        "`patch -p1 --fuzz=0`, fix each rejected hunk, regenerate the "
        "patches (git format-patch from a tree where each is a commit), "
        f"then write {newest} in place of {pinned} into "
        "kernel-patches/source-version and run `tools/ghost lab test`.")


def choose(pinned, available, conflict_of):
    """Returns the Choice for the versions `available` from apt.

    `conflict_of(version)` returns None when the series applies exactly to
    that version, else the text of the conflict (which patch, which files).
    It may be costly (it unpacks the source), so it is asked newest first and
    only until a version takes the series.
    """
    if pinned in available:
        return Choice(pinned)
    candidates = debversion.newest_first(available)
    if not candidates:
        raise LabError(
            f"apt offers no {PACKAGE} at all. Run `apt-get update` (or "
            "tools/lab/install-deps.sh) and check that the Debian security "
            "archive is in /etc/apt/sources.list.")
    first_conflict = None
    for version in candidates:
        conflict = conflict_of(version)
        if conflict is None:
            return Choice(version, note=(
                f"kernel: building {PACKAGE} {version}: the series was tested "
                f"on {pinned}, which apt no longer has; every patch applies "
                f"exactly to {version}"))
        if first_conflict is None:
            first_conflict = (version, conflict)
    newest, conflict = first_conflict
    raise LabError(
        f"the series was tested on {PACKAGE} {pinned}, which apt no longer "
        f"has, and it does not apply to any version apt has "
        f"({', '.join(candidates)}).\nOn the newest, {newest}: {conflict}\n"
        + rebase_advice(pinned, newest))


def parse_madison(text):
    """The versions in `apt-cache madison PACKAGE` output."""
    versions = []
    for line in text.splitlines():
        fields = [f.strip() for f in line.split("|")]
        if len(fields) >= 3 and fields[0] == PACKAGE and fields[1]:
            versions.append(fields[1])
    return versions
