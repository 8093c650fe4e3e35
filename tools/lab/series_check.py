"""`ghost lab series-check`: does the kernel build after every patch?

A reviewer (and `git bisect`) needs every prefix of the series to build, not
only the whole of it. This applies the patches one at a time to a tree of its
own (the same Debian source the lab builds, unpacked beside the lab's tree so
that a check never disturbs a lab build) and runs an incremental `make
vmlinux` after each, in an object directory of its own.

To keep that affordable the configuration is small: tinyconfig plus
kernel-patches/series-check.config (SMP, preemption, ghost, the options the
ghost code tests with #ifdef, and CONFIG_WERROR, so a patch that adds a
warning, e.g. a function that only a later patch uses, fails too). It is a
build check, nothing is booted; the lab's flavours are tested by `lab test`.

Cache layout (under paths.CACHE/kernel/series-check): src/ (the tree, with
patches.STATE_DIR recording the applied prefix), obj/ (the build), build.log.
"""

import re
import shutil
import time

from lab import kconfig, kernel, kernel_source, patches, paths
from lab.progress import LabError, done, fmt_duration, run_logged, say, step

FRAGMENT = "series-check.config"

# Compiler, assembler and linker diagnostics that fail a build, as make
# prints them ("file.c:12:3: error: ...", "ld: ... undefined reference").
_ERROR = re.compile(r"(: (fatal )?error: |: undefined reference to |"
                    r"^make(\[\d+\])?: \*\*\* |: multiple definition of )")
_CONTEXT = re.compile(r"(: note: |: In function |: At top level:|^\s+\d* \| )")


def check_root():
    return kernel.kernel_cache() / "series-check"


def first_errors(log_text, limit=25):
    """The lines of a failed build log that say why it failed: the first
    diagnostics with the context lines the compiler printed around them
    ("In function", source excerpts), make's own summary lines last."""
    picked = []
    lines = log_text.splitlines()
    for index, line in enumerate(lines):
        if _ERROR.search(line) and not line.startswith("make"):
            start = index
            while start > 0 and _CONTEXT.search(lines[start - 1]) and \
                    index - start < 3:
                start -= 1
            end = index + 1
            while end < len(lines) and _CONTEXT.search(lines[end]) and \
                    end - index < 4:
                end += 1
            for piece in lines[start:end]:
                if piece not in picked:
                    picked.append(piece)
        if len(picked) >= limit:
            break
    if not picked:
        picked = [line for line in lines if line.startswith("make")][-3:]
    return picked[:limit]


def needs_configure(patch, first):
    """A patch that edits Kconfig can add or change the options asked for."""
    return first or any(re.search(r"(^|/)Kconfig[^/]*$", f)
                        for f in patch.files())


def steps(series, start):
    """(index, patch, prefix) for every patch to build: 1-based `start`."""
    if not 1 <= start <= max(len(series), 1):
        raise LabError(f"--from {start}: the series has {len(series)} "
                       "patches")
    return [(i + 1, series[i], series[:i + 1])
            for i in range(start - 1, len(series))]


def unavailable(requested, final_config_text):
    """Requested options the tree does not offer yet (a later patch adds
    them) are left out of the check until the last patch."""
    known = set(re.findall(r"^(?:# )?(CONFIG_[A-Za-z0-9_]+)[= ]",
                           final_config_text, re.M))
    return sorted(n for n, v in requested.items() if v != "n"
                  and n not in known)


def _tree(version):
    """The check's own source tree of `version`."""
    src = check_root() / "src"
    stamp = src / patches.STATE_DIR / "source-version"
    if stamp.exists() and stamp.read_text().strip() == version:
        return src
    kernel_source.unpack(kernel.kernel_cache(), version, src)
    # New files keep the tarball's older mtimes: start the build afresh.
    shutil.rmtree(check_root() / "obj", ignore_errors=True)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(version + "\n")
    return src


def _configure(src, obj, log, options, last):
    env = paths.system_env()
    for cmd in (kernel.make_cmd(src, obj, "tinyconfig"),
                [str(src / "scripts" / "config"), "--file",
                 str(obj / ".config"), *kconfig.scripts_config_args(options)],
                kernel.make_cmd(src, obj, "olddefconfig")):
        if run_logged(cmd, log, env=env) != 0:
            raise LabError(f"kernel configuration failed; see {log}")
    text = (obj / ".config").read_text()
    later = set(unavailable(options, text))
    wrong = [w for w in kconfig.mismatches(options, text)
             if last or w[0] not in later]
    if wrong:
        lines = "\n".join(f"  {n}: wanted {w}, got {g}" for n, w, g in wrong)
        raise LabError(f"{FRAGMENT}: these options did not stick after "
                       f"olddefconfig:\n{lines}")
    return later


def run(args):
    series = patches.read_series(paths.PATCH_DIR)
    if not series:
        raise LabError(f"{paths.PATCH_DIR}/series names no patch")
    options = kconfig.parse((paths.PATCH_DIR / FRAGMENT).read_text(),
                            FRAGMENT)
    version = kernel.choose_source_version(series)
    todo = steps(series, args.start)
    root = check_root()
    root.mkdir(parents=True, exist_ok=True)
    with kernel.Lock(root / "lock"):
        src = _tree(version)
        obj = root / "obj"
        obj.mkdir(parents=True, exist_ok=True)
        log = root / "build.log"
        say(f"series-check: {len(todo)} of {len(series)} patches, each "
            f"built with tinyconfig + {FRAGMENT} (-j{args.jobs}) in {obj}")
        began = time.monotonic()
        for index, patch, prefix in todo:
            step(f"[{index}/{len(series)}] {patch.name}")
            patches.sync(src, prefix, source_label=f"linux-source {version}")
            log.write_text("")
            if needs_configure(patch, index == todo[0][0]) or \
                    index == len(series):
                later = _configure(src, obj, log, options,
                                   last=index == len(series))
                if later:
                    say(f"  options a later patch adds: {' '.join(later)}")
            rc = run_logged(kernel.make_cmd(src, obj, f"-j{args.jobs}",
                                            "vmlinux"), log,
                            env=paths.system_env(),
                            status=kernel.build_status([0]))
            if rc != 0:
                errors = first_errors(log.read_text(errors="replace"))
                raise LabError(
                    f"the kernel does not build after patch {index}/"
                    f"{len(series)}: {patch.name}\n" + "\n".join(errors) +
                    f"\nfull log: {log}")
            done("builds")
        say(f"series-check: all {len(todo)} patches build "
            f"({fmt_duration(time.monotonic() - began)})")
    return 0
