"""`ghost lab kernel`: the patched kernel, built once per patch series.

Cache layout (under paths.CACHE/kernel):
  src/                 Debian's linux-source-6.12, with the series applied
                       (its version: source_choice.py; the .deb it came
                       from: debs/)
  conflicts/           versions found not to take the series, with why
  obj-<flavour>/       out-of-tree build directory (kept: incremental builds)
  images/<flavour>-<key>/bzImage, config, build.log
                       finished kernels, keyed by a hash of everything that
                       goes into them
Concurrent invocations serialise on a lock file.
"""

import fcntl
import hashlib
import os
import re
import shutil

from lab import kconfig, kernel_source, patches, paths, source_choice
from lab.progress import LabError, done, run_logged, say, step

FLAVOURS = ("default", "debug")
SOURCE_PACKAGE = source_choice.PACKAGE
# Bump when the recipe below changes in a way that changes the kernel.
RECIPE = "1"


def kernel_cache():
    return paths.CACHE / "kernel"


def pinned_source_version():
    """The version the series was tested on."""
    return (paths.PATCH_DIR / "source-version").read_text().strip()


def _series_digest(series):
    h = hashlib.sha256()
    for patch in series:
        h.update(f"patch {patch.name}\n".encode() + patch.text.encode())
    return h.hexdigest()[:16]


def _conflict_memo(version, series):
    return kernel_cache() / "conflicts" / f"{version}-{_series_digest(series)}"


def _conflict_of(version, series):
    """None if the series applies exactly to `version`, else the conflict.

    Cheap answers first: a kernel already built from that version, the
    cached tree already holding the series, or a conflict found before.
    Otherwise the version is unpacked into the cached tree and the series
    applied there (the tree is then ready for the build).
    """
    if any((image_dir(f, build_key(f, version, series)) / "bzImage").exists()
           for f in FLAVOURS):
        return None
    memo = _conflict_memo(version, series)
    if memo.exists():
        return memo.read_text()
    with Lock(kernel_cache() / "lock"):
        src = _ensure_source(version)
        try:
            patches.sync(src, series,
                         source_label=f"{SOURCE_PACKAGE} {version}")
        except LabError as conflict:
            memo.parent.mkdir(parents=True, exist_ok=True)
            memo.write_text(str(conflict))
            return str(conflict)
    return None


def choose_source_version(series):
    """The version to build (source_choice.py has the rule)."""
    choice = source_choice.choose(
        pinned_source_version(), kernel_source.available_versions(),
        lambda version: _conflict_of(version, series))
    if choice.note:
        say(choice.note)
    return choice.version


def fragments(flavour):
    names = ["ghost.config"] + (["debug.config"] if flavour == "debug" else [])
    return [paths.PATCH_DIR / n for n in names]


def requested_options(flavour):
    options = {}
    for frag in fragments(flavour):
        options.update(kconfig.parse(frag.read_text(), str(frag)))
    return options


def build_key(flavour, version, series):
    h = hashlib.sha256()
    h.update(f"recipe {RECIPE}\nsource {version}\nflavour {flavour}\n".encode())
    for patch in series:
        h.update(f"patch {patch.name}\n".encode() + patch.text.encode())
    for frag in fragments(flavour):
        h.update(f"config {frag.name}\n".encode() + frag.read_bytes())
    return h.hexdigest()[:16]


def image_dir(flavour, key):
    return kernel_cache() / "images" / f"{flavour}-{key}"


class Lock:
    def __init__(self, path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.file = open(path, "w")

    def __enter__(self):
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say("waiting for another lab kernel build to finish ...")
            fcntl.flock(self.file, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.file, fcntl.LOCK_UN)
        self.file.close()


def _ensure_source(version):
    """The cached tree, unpacked from `version` (kept when it already is).

    A tree of another version is replaced whole, and the object
    directories with it: the new files keep the tarball's (older) mtimes, so
    make would otherwise link stale objects of the old version.
    """
    src = kernel_cache() / "src"
    stamp = src / patches.STATE_DIR / "source-version"
    if stamp.exists() and stamp.read_text().strip() == version:
        return src
    kernel_source.unpack(kernel_cache(), version, src)
    for obj in kernel_cache().glob("obj-*"):
        shutil.rmtree(obj)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(version + "\n")
    return src


def make_cmd(src, obj, *args):
    return ["make", "-C", str(src), f"O={obj}", "ARCH=x86_64",
            "KBUILD_BUILD_USER=ghost", "KBUILD_BUILD_HOST=lab", *args]


def _configure(src, obj, flavour, log, series):
    """Writes obj/.config from tinyconfig + the fragments and checks it.

    Redone whenever the fragments or the patches change: a patch can change
    Kconfig (a new option, a new dependency).
    """
    options = requested_options(flavour)
    h = hashlib.sha256(repr(sorted(options.items())).encode())
    for patch in series:
        h.update(patch.text.encode())
    digest = h.hexdigest()
    stamp = obj / ".ghost-config-stamp"
    if (obj / ".config").exists() and stamp.exists() and \
            stamp.read_text() == digest:
        return
    step(f"kernel: configuring the {flavour} kernel")
    env = paths.system_env()
    for cmd in (make_cmd(src, obj, "tinyconfig"),
                [str(src / "scripts" / "config"), "--file",
                 str(obj / ".config"), *kconfig.scripts_config_args(options)],
                make_cmd(src, obj, "olddefconfig")):
        if run_logged(cmd, log, env=env) != 0:
            raise LabError(f"kernel configuration failed; see {log}")
    wrong = kconfig.mismatches(options, (obj / ".config").read_text())
    if wrong:
        lines = "\n".join(f"  {n}: wanted {w}, got {g}" for n, w, g in wrong)
        raise LabError(
            "these options did not stick after olddefconfig (a dependency is "
            f"missing from the fragments in kernel-patches/):\n{lines}")
    stamp.write_text(digest)
    done(f"all {len(options)} requested options set")


_BUILD_LINE = re.compile(r"^\s+(CC|AS|LD|AR|BTF|GEN|OBJCOPY|BUILD)\s+(\S+)")


def build_status(counter):
    def status(line):
        m = _BUILD_LINE.match(line)
        if not m:
            return None
        counter[0] += 1
        return f"{counter[0]} build steps, now {m.group(1)} {m.group(2)}"
    return status


def build(flavour="default", *, jobs=None):
    """Returns the path of a bzImage built from the current series (with
    NUMA support: the same kernel boots VMs of one node or several)."""
    if flavour not in FLAVOURS:
        raise LabError(f"unknown flavour {flavour!r}; use one of {FLAVOURS}")
    series = patches.read_series(paths.PATCH_DIR)
    version = choose_source_version(series)
    key = build_key(flavour, version, series)
    name = flavour
    image = image_dir(name, key)
    if (image / "bzImage").exists():
        say(f"kernel: {name} kernel {key} is cached ({image})")
        return image / "bzImage"

    with Lock(kernel_cache() / "lock"):
        if (image / "bzImage").exists():
            return image / "bzImage"
        src = _ensure_source(version)
        obj = kernel_cache() / f"obj-{name}"
        obj.mkdir(parents=True, exist_ok=True)
        log = obj / "build.log"
        log.write_text("")
        step(f"kernel: applying {len(series)} patches from kernel-patches/")
        patches.sync(src, series, source_label=f"{SOURCE_PACKAGE} {version}")
        done()
        _configure(src, obj, flavour, log, series)

        jobs = jobs or os.cpu_count()
        step(f"kernel: building bzImage ({name}, -j{jobs}); full log: {log}")
        say("  a first build takes ~13 min on 2 cores; later ones are "
            "incremental")
        rc = run_logged(make_cmd(src, obj, f"-j{jobs}", "bzImage"), log,
                        env=paths.system_env(), status=build_status([0]))
        if rc != 0:
            errors = [line for line in log.read_text(errors="replace")
                      .splitlines() if "error" in line.lower()][-15:]
            raise LabError("kernel build failed; first errors:\n" +
                           "\n".join(errors) + f"\nfull log: {log}")
        done()
        tmp = image.with_name(image.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        shutil.copy2(obj / "arch/x86/boot/bzImage", tmp / "bzImage")
        shutil.copy2(obj / ".config", tmp / "config")
        shutil.copy2(log, tmp / "build.log")
        tmp.rename(image)
        _prune_images(name, keep=image)
    say(f"kernel: {image / 'bzImage'}")
    return image / "bzImage"


def _prune_images(name, keep, count=4):
    """Keeps the newest `count` images of a variant."""
    images = sorted((p for p in (kernel_cache() / "images").glob(f"{name}-*")
                     if "-numa-" not in p.name),
                    key=lambda p: p.stat().st_mtime, reverse=True)
    for old in images[count:]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)


def source_tree():
    """The cached patched tree (for checkpatch and headers)."""
    return kernel_cache() / "src"
