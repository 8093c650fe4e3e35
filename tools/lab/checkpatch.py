"""Runs the kernel's scripts/checkpatch.pl --strict on every patch."""

import subprocess

from lab import kernel, patches, paths
from lab.progress import say, step, done


def check_all():
    """Returns [(patch name, ok, report)] for the series."""
    tree = kernel.source_tree()
    script = tree / "scripts" / "checkpatch.pl"
    results = []
    series = patches.read_series(paths.PATCH_DIR)
    step(f"checkpatch --strict on {len(series)} patches")
    for patch in series:
        proc = subprocess.run(
            ["perl", str(script), "--strict", "--no-color", "-"],
            input=patch.text, text=True, cwd=tree, env=paths.system_env(),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        clean = proc.returncode == 0 and \
            "total: 0 errors, 0 warnings, 0 checks" in proc.stdout
        results.append((patch.name, clean, proc.stdout))
        if not clean:
            say(f"  {patch.name} is not checkpatch-clean:")
            print(proc.stdout)
    done()
    return results
