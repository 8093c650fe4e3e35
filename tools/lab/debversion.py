"""Ordering of Debian package versions ([epoch:]upstream[-revision]).

Debian's rule (deb-version(7)): compare epochs as numbers, then the upstream
versions, then the revisions. Each part is compared as alternating runs of
non-digits (character by character, where `~` sorts before everything, even
the end of the string, and letters sort before other characters) and digits
(as numbers). Written here so that the lab can order apt's candidates
without python3-apt.
"""

import functools


def _split(version):
    epoch, _, rest = version.rpartition(":") if ":" in version \
        else ("0", "", version)
    upstream, dash, revision = rest.rpartition("-")
    if not dash:
        upstream, revision = rest, "0"
    return int(epoch or 0), upstream, revision


def _char_order(c):
    if c == "~":
        return -1
    if c.isalpha():
        return ord(c)
    return ord(c) + 256


def _compare_part(a, b):
    i = j = 0
    while i < len(a) or j < len(b):
        # A run of non-digits, character by character; the end of a string
        # sorts after `~` and before anything else.
        while (i < len(a) and not a[i].isdigit()) or \
                (j < len(b) and not b[j].isdigit()):
            ca = _char_order(a[i]) if i < len(a) and not a[i].isdigit() else 0
            cb = _char_order(b[j]) if j < len(b) and not b[j].isdigit() else 0
            if ca != cb:
                return -1 if ca < cb else 1
            i += 1
            j += 1
        # A run of digits, as a number (an empty run is 0).
        si = i
        while i < len(a) and a[i].isdigit():
            i += 1
        sj = j
        while j < len(b) and b[j].isdigit():
            j += 1
        na, nb = int(a[si:i] or 0), int(b[sj:j] or 0)
        if na != nb:
            return -1 if na < nb else 1
    return 0


def compare(a, b):
    """-1, 0 or 1 as Debian version `a` sorts before, equal to or after `b`."""
    ea, ua, ra = _split(a)
    eb, ub, rb = _split(b)
    if ea != eb:
        return -1 if ea < eb else 1
    return _compare_part(ua, ub) or _compare_part(ra, rb)


def newest_first(versions):
    """The distinct `versions`, newest first."""
    return sorted(set(versions), key=functools.cmp_to_key(compare),
                  reverse=True)
