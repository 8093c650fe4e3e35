"""bpf_skeleton: a BPF program compiled with clang and wrapped in a libbpf
skeleton header by bpftool, usable from C++ as a cc_library."""

def bpf_skeleton(name, src, hdrs = []):
    """Builds `src` (foo.bpf.c) into foo.bpf.o and the header foo.skel.h.

    The cc_library `name` exports the skeleton; include it as
    "bpf/foo.skel.h" and link @libbpf.
    """
    base = src[:-len(".bpf.c")]
    obj = base + ".bpf.o"
    skel = base + ".skel.h"
    native.genrule(
        name = name + "_gen",
        srcs = [src] + hdrs,
        outs = [obj, skel],
        cmd = " && ".join([
            # -mcpu=v3: atomics that return a value (fetch-add, cmpxchg,
            # xchg). -I.: headers by workspace path ("bpf/...", "lib/...").
            "clang -O2 -g -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 " +
            "-I/usr/include/x86_64-linux-gnu -I. -I$$(dirname $(location %s)) " % src +
            "-c $(location %s) -o $(location %s)" % (src, obj),
            "/usr/sbin/bpftool gen skeleton $(location %s) name %s > $(location %s)" %
            (obj, base, skel),
        ]),
        message = "BPF %s" % src,
    )
    native.cc_library(
        name = name,
        hdrs = [skel],
        deps = ["@libbpf"],
    )
