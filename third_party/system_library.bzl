"""system_library: a cc_library for a library installed by Debian's apt.

The rule asks pkg-config for the static link line of the given modules and
rewrites every `-lfoo` whose `libfoo.a` exists into `-l:libfoo.a`, so our
binaries link the archive rather than the shared object (binaries that go into
the lab VM are fully static). Headers live in /usr/include, which the compiler
searches anyway, so the generated target only carries link flags.

A missing package fails the fetch with a message naming the package script
that installs it.
"""

_LIBDIR = "/usr/lib/x86_64-linux-gnu"

# Libraries that are part of glibc or the toolchain: always link them plainly.
_TOOLCHAIN_LIBS = ["c", "m", "pthread", "rt", "dl", "stdc++", "gcc", "gcc_s"]

def _static_flag(repository_ctx, flag):
    if not flag.startswith("-l") or flag.startswith("-l:"):
        return flag
    name = flag[2:]
    if name in _TOOLCHAIN_LIBS:
        return flag
    if repository_ctx.path("%s/lib%s.a" % (_LIBDIR, name)).exists:
        return "-l:lib%s.a" % name
    return flag

def _system_library_impl(repository_ctx):
    flags = []
    if repository_ctx.attr.modules:
        result = repository_ctx.execute(
            ["pkg-config", "--static", "--libs"] + repository_ctx.attr.modules,
        )
        if result.return_code != 0:
            fail(("pkg-config cannot find %s: %s\n" +
                  "Install the dependencies with tools/lab/install-deps.sh") %
                 (repository_ctx.attr.modules, result.stderr))
        flags = result.stdout.strip().split(" ")
    flags += ["-l" + lib for lib in repository_ctx.attr.libs]
    linkopts = []
    for flag in flags:
        if not flag:
            continue
        # Keep pkg-config's order and repetitions: static archives must come
        # after the archives that use them.
        linkopts.append(_static_flag(repository_ctx, flag))
    repository_ctx.file("BUILD.bazel", """\
package(default_visibility = ["//visibility:public"])

cc_library(
    name = "{name}",
    linkopts = {linkopts},
)
""".format(name = repository_ctx.name, linkopts = repr(linkopts)))

system_library = repository_rule(
    implementation = _system_library_impl,
    attrs = {
        "modules": attr.string_list(doc = "pkg-config module names"),
        "libs": attr.string_list(doc = "extra libraries without a .pc file"),
    },
    local = True,
)
