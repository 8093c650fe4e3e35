"""Kconfig fragments: parse them, turn them into scripts/config arguments,
and check that a final .config kept every requested value."""

import re

_SET = re.compile(r"^(CONFIG_[A-Za-z0-9_]+)=(.*)$")
_UNSET = re.compile(r"^# (CONFIG_[A-Za-z0-9_]+) is not set$")


class FragmentError(ValueError):
    pass


def parse(text, origin="<fragment>"):
    """Returns {CONFIG_NAME: value}; value is 'n' for "is not set" lines."""
    options = {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        m = _UNSET.match(line)
        if m:
            options[m.group(1)] = "n"
            continue
        if not line or line.startswith("#"):
            continue
        m = _SET.match(line)
        if not m:
            raise FragmentError(
                f"{origin}:{lineno}: not a Kconfig line: {raw!r} "
                "(expected CONFIG_NAME=value or '# CONFIG_NAME is not set')")
        options[m.group(1)] = m.group(2)
    return options


def scripts_config_args(options):
    """Arguments for the kernel's scripts/config that set `options`."""
    args = []
    for name, value in options.items():
        short = name[len("CONFIG_"):]
        if value == "y":
            args += ["--enable", short]
        elif value == "m":
            args += ["--module", short]
        elif value == "n":
            args += ["--disable", short]
        elif value.startswith('"'):
            args += ["--set-str", short, value.strip('"')]
        else:
            args += ["--set-val", short, value]
    return args


def mismatches(requested, final_config_text):
    """Lists (name, wanted, got) for each option the final .config lost."""
    final = parse(final_config_text, ".config")
    wrong = []
    for name, want in requested.items():
        got = final.get(name, "n")
        if got != want:
            wrong.append((name, want, got))
    return wrong
