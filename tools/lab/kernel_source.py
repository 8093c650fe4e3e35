"""Getting a given version of Debian's linux-source-6.12 without installing it.

apt keeps several point releases of the package in the archive; the lab
needs a specific one (source_choice.py says which), whatever version is
installed. `apt-get download` fetches that version's .deb into the lab cache
and the kernel tarball is read out of it with dpkg-deb, so the installed
package (if any) is left alone.
"""

import os
import pathlib
import shutil
import subprocess

from lab import paths, source_choice
from lab.progress import LabError, done, say, step

PACKAGE = source_choice.PACKAGE
INSTALLED_TARBALL = pathlib.Path(f"/usr/src/{PACKAGE}.tar.xz")
_MEMBER = f"./usr/src/{PACKAGE}.tar.xz"


def installed_version():
    """The installed package's version, or None."""
    proc = subprocess.run(
        ["dpkg-query", "-W", "-f=${db:Status-Status} ${Version}", PACKAGE],
        capture_output=True, text=True)
    status, _, version = proc.stdout.strip().partition(" ")
    if proc.returncode != 0 or status != "installed" or not version:
        return None
    return version


def available_versions():
    """Every version apt can provide, plus the installed one."""
    proc = subprocess.run(["apt-cache", "madison", PACKAGE],
                          capture_output=True, text=True,
                          env=paths.system_env())
    versions = source_choice.parse_madison(proc.stdout)
    installed = installed_version()
    if installed and INSTALLED_TARBALL.exists():
        versions.append(installed)
    return versions


def _deb_dir(cache):
    return cache / "debs"


def _deb_of(cache, version):
    for deb in _deb_dir(cache).glob(f"{PACKAGE}_*.deb"):
        proc = subprocess.run(["dpkg-deb", "-f", str(deb), "Version"],
                              capture_output=True, text=True)
        if proc.returncode == 0 and proc.stdout.strip() == version:
            return deb
    return None


def _download(cache, version):
    folder = _deb_dir(cache)
    folder.mkdir(parents=True, exist_ok=True)
    step(f"kernel: apt-get download {PACKAGE}={version} (~150 MB) into "
         f"{folder}")
    cmd = ["apt-get", "download", "-q", f"{PACKAGE}={version}"]
    proc = subprocess.run(cmd, cwd=folder, capture_output=True, text=True,
                          env=paths.system_env())
    if proc.returncode != 0 and os.geteuid() == 0:
        # The lists may be older than the archive: refresh them once.
        say("  download failed; refreshing apt's lists (apt-get update)")
        subprocess.run(["apt-get", "update", "-q"], capture_output=True,
                       env=paths.system_env())
        proc = subprocess.run(cmd, cwd=folder, capture_output=True,
                              text=True, env=paths.system_env())
    deb = _deb_of(cache, version)
    if proc.returncode != 0 or deb is None:
        raise LabError(
            f"could not download {PACKAGE} {version} from apt:\n"
            f"{(proc.stdout + proc.stderr).strip()}\n"
            "Run `apt-get update` (as root) and try again.")
    done()
    return deb


def _prune_debs(cache, keep):
    for deb in _deb_dir(cache).glob(f"{PACKAGE}_*.deb"):
        if deb != keep:
            deb.unlink()


def unpack(cache, version, dest):
    """Unpacks the kernel tree of `version` as the folder `dest`."""
    tmp = dest.with_name(dest.name + ".unpack")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    if version == installed_version() and INSTALLED_TARBALL.exists():
        step(f"kernel: unpacking {INSTALLED_TARBALL} ({version})")
        subprocess.run(["tar", "xf", str(INSTALLED_TARBALL), "-C", str(tmp)],
                       check=True)
    else:
        deb = _deb_of(cache, version) or _download(cache, version)
        step(f"kernel: unpacking {PACKAGE} {version} from {deb.name}")
        _untar_from_deb(deb, tmp)
        _prune_debs(cache, keep=deb)
    shutil.rmtree(dest, ignore_errors=True)
    (tmp / PACKAGE).rename(dest)
    shutil.rmtree(tmp)
    done()


def _untar_from_deb(deb, dest):
    """dpkg-deb --fsys-tarfile DEB | tar -xO MEMBER | tar -xJ -C DEST."""
    fsys = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)],
                            stdout=subprocess.PIPE)
    member = subprocess.Popen(["tar", "-xO", _MEMBER], stdin=fsys.stdout,
                              stdout=subprocess.PIPE)
    fsys.stdout.close()
    tree = subprocess.Popen(["tar", "-xJ", "-C", str(dest)],
                            stdin=member.stdout)
    member.stdout.close()
    rcs = (tree.wait(), member.wait(), fsys.wait())
    if any(rcs):
        raise LabError(f"unpacking {_MEMBER} from {deb} failed (exit codes "
                       f"tar {rcs[0]}, tar {rcs[1]}, dpkg-deb {rcs[2]}); "
                       f"delete {deb} and run again")
