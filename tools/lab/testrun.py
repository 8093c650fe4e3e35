"""`ghost lab test` and `ghost lab demo`: the README's two commands.

test: deps -> bazel build -> host tests -> kernel (cached) -> checkpatch ->
      initramfs -> VM ABI tests -> experiments --quick -> lab self-tests ->
      "N passed, N failed".
demo: deps -> bazel build -> kernel -> initramfs -> boot the lab, mount
      ghostfs and print a report.
"""

import subprocess
import time

from lab import (bazel, checkpatch, initramfs, kernel, paths, qemu, summary,
                 vmtests, workload_bench)
from lab.progress import LabError, say, step
from lab.tally import Tally

VM_BINARIES = ["//tests/vm:ghost_vm_tests", "//tools/ghostctl:ghostctl",
               "//experiments/microbench:ghost_microbench",
               "//agents/agent_fifo:agent_fifo",
               "//agents/bpf_fifo:bpf_fifo",
               "//agents/ghost_agent:ghost_agent",
               "//experiments/rocksdb:rocksdb_bench",
               "//experiments/antagonist:antagonist",
               "//experiments/workloads:ghost_workloads"]


def install_deps():
    step("deps: checking the apt packages ghost needs")
    rc = subprocess.call(["bash", str(paths.REPO / "tools/lab/install-deps.sh")])
    if rc != 0:
        raise LabError("installing dependencies failed (see above)")


def build_initramfs(flavour):
    binaries = [bazel.vm_binary(label) for label in VM_BINARIES]
    return initramfs.build(binaries, paths.OUT / f"initramfs-{flavour}.cpio.gz")


def run_tests(args):
    tally = Tally()
    try:
        _run_tiers(tally, args)
    except LabError as e:
        # A stage that cannot go on (bazel build, kernel patch or build)
        # is one failure; the cases after it did not run.
        say(f"error: {e}")
        tally.add("stage", str(e).splitlines()[0], False, "later tiers skipped")
    return tally.finish()


def _run_tiers(tally, args):
    if not args.no_deps:
        install_deps()
    bazel.build()
    tally.add_counts("host", *bazel.test())

    image = kernel.build(args.flavour)
    for name, ok, _ in checkpatch.check_all():
        tally.add("checkpatch", name, ok, "not checkpatch --strict clean")

    bazel.build_vm(VM_BINARIES)
    initrd = build_initramfs(args.flavour)
    # The NUMA cases need a VM of two nodes: a boot of their own, unless
    # the whole run boots with `--numa 2`.
    numa_apart = args.numa < 2 and vmtests.wants_numa_boot(args.filter)
    if not (numa_apart and vmtests.only_numa_cases(args.filter)):
        _vm_abi_tests(tally, image, initrd, args,
                      args.filter if args.numa > 1
                      else vmtests.without_numa_cases(args.filter))
    if numa_apart:
        _vm_numa_tests(tally, image, initrd, args)
    if not args.filter and not args.no_experiments:
        from lab import experiment  # it imports this module
        step("experiments --quick: RocksDB and the antagonist, CFS and ghost")
        experiment.check_quick(tally, image, initrd, args)
    if not args.quick:
        _lab_self_tests(tally, image, initrd, args)


# The NUMA cases' own boot: two nodes of three CPUs each, so that node 0
# has a CPU besides CPU 0 and an agent's (tests/vm/numa_test.cc).
NUMA_SMP = 6
NUMA_NODES = 2


def _vm_numa_tests(tally, image, initrd, args):
    step(f"VM tests on NUMA: the {args.flavour} kernel with -smp "
         f"{NUMA_SMP} --numa {NUMA_NODES}, the {vmtests.NUMA_CASES} cases")
    _boot_vm_tests(tally, "vm-numa", image, initrd, args,
                   vmtests.numa_filter(args.filter), smp=NUMA_SMP,
                   numa=NUMA_NODES, skipped_fail=True)


def _vm_abi_tests(tally, image, initrd, args, gtest_filter):
    step(f"VM tests: booting the {args.flavour} kernel with -smp {args.smp}"
         + (f" --numa {args.numa}" if args.numa > 1 else ""))
    _boot_vm_tests(tally, "vm", image, initrd, args, gtest_filter,
                   smp=args.smp, numa=args.numa)


def _boot_vm_tests(tally, tier, image, initrd, args, gtest_filter, *, smp,
                   numa, skipped_fail=False):
    """One boot of the VM test runner; each case becomes a tally line (a
    skipped one fails with `skipped_fail`: that boot exists to run it)."""
    command = "ghost_vm_tests"
    if gtest_filter:
        command += f" --gtest_filter='{gtest_filter}'"
    result = qemu.run(image, initrd, command, paths.OUT / "vm" / tier,
                      smp=smp, memory=args.memory, timeout=args.timeout,
                      numa=numa)
    output = (result.share / "output.log").read_text(errors="replace") \
        if (result.share / "output.log").exists() else ""
    passed, failed = vmtests.parse_tap(output)
    skipped = set(vmtests.skipped(output)) if skipped_fail else set()
    for name in passed:
        tally.add(tier, name, name not in skipped,
                  "skipped: this boot exists to run it")
    for name in failed:
        tally.add(tier, name, False)
    if vmtests.summary_line(output) is None:
        tally.add(tier, "the test runner finished", False,
                  "no closing line: it crashed or was cut off")
    elif (args.filter or skipped_fail) and not passed and not failed:
        # A filter that matches nothing would otherwise pass silently.
        tally.add(tier, f"the filter {gtest_filter!r} matches a test", False,
                  "no VM test ran; parameterized suites carry a prefix "
                  "(e.g. '*AgentFifoTest*'): list them with "
                  "`tools/ghost lab run 'ghost_vm_tests --gtest_list_tests'`")
    tally.add(tier, "the kernel stayed healthy", result.ok,
              "; ".join(result.verdict.problems))
    qemu.report(result, "VM tests" if tier == "vm" else f"VM tests ({tier})")


def _expect_failure(tally, name, result, needle):
    """A lab self-test passes if the run failed for the expected reason."""
    reasons = "; ".join(result.verdict.problems)
    ok = not result.ok and needle in reasons
    tally.add("lab", name, ok,
              f"expected a failure mentioning {needle!r}, got: "
              f"{reasons or 'a passing run'}")
    say(f"  {'ok' if ok else 'NOT OK'}: {name} -> {reasons}")


def _lab_self_tests(tally, image, initrd, args):
    step("lab self-tests: the verdict catches a panic, a hang and a hung "
         "VM test")
    out = paths.OUT / "vm"
    r = qemu.run(image, initrd, "echo c > /proc/sysrq-trigger",
                 out / "self-panic", smp=2, memory=args.memory, timeout=120,
                 echo=False)
    _expect_failure(tally, "a kernel panic fails the run", r, "kernel panic")

    r = qemu.run(image, initrd, "sleep 100000", out / "self-hang", smp=2,
                 memory=args.memory, timeout=30, echo=False)
    _expect_failure(tally, "a guest command that hangs fails at the hard "
                           "timeout", r, "did not finish within 30 s")

    r = qemu.run(image, initrd,
                 "ghost_vm_tests --gtest_also_run_disabled_tests "
                 "--gtest_filter=LabSelfTest.DISABLED_HangsForever "
                 "--test_timeout=5s", out / "self-hung-case", smp=2,
                 memory=args.memory, timeout=120, echo=False)
    output = (r.share / "output.log").read_text(errors="replace") \
        if (r.share / "output.log").exists() else ""
    named = "not ok 1 LabSelfTest.DISABLED_HangsForever # timed out" in output
    _expect_failure(tally, "a hanging VM test case is named and fails the "
                           "run", r, "exited with status")
    tally.add("lab", "the hanging VM test case is named in the output", named,
              "runner output: " + output[-300:])


DEMO_SCRIPT = r"""
set -e
G=/sys/fs/ghost
now() { cut -d' ' -f1 /proc/uptime; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
# The same two workloads under CFS and under ghost: fixed work, so the
# wall times compare (ratios matter; absolute times in TCG do not).
HACKBENCH="hackbench -g 2 -l 100"
STRESS="stress-ng --switch 2 --switch-ops 20000 --cpu 2 --cpu-ops 300 -q"

echo "================ ghost lab report ================"
echo "kernel:       $(uname -r) ($(uname -v))"
echo "cpus:         $(nproc), memory $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)"
echo "patches:      $(grep -vc '^#' /ghost/series) (kernel-patches/series)"
ghostctl status
echo

echo "-- 1. the workloads under CFS, on CPUs 1-3 --"
t0=$(now); taskset -c 1-3 $HACKBENCH > /tmp/hb-cfs.log; t1=$(now)
cfs_hb=$(elapsed $t0 $t1)
t0=$(now); taskset -c 1-3 $STRESS; t1=$(now)
cfs_st=$(elapsed $t0 $t1)
echo "  hackbench: ${cfs_hb} s   stress-ng: ${cfs_st} s"
echo

echo "-- 2. an enclave on CPUs 1-3 with a per-CPU FIFO agent --"
agent_fifo --mode=percpu --cpus=1-3 --enclave=1 > /tmp/agent.log 2>&1 &
agent=$!
for i in $(seq 100); do
  [ "$(cat $G/enclave_1/agent_online 2>/dev/null)" = 3 ] && break
  sleep 0.1
done
echo "  agents online: $(cat $G/enclave_1/agent_online)"
echo

echo "-- 3. the same workloads inside it (ghostctl run) --"
t0=$(now); ghostctl run --enclave 1 -- $HACKBENCH > /tmp/hb-ghost.log; t1=$(now)
gh_hb=$(elapsed $t0 $t1)
t0=$(now); ghostctl run --enclave 1 -- $STRESS; t1=$(now)
gh_st=$(elapsed $t0 $t1)
echo "  hackbench: ${gh_hb} s   stress-ng: ${gh_st} s"
grep -q '^Time:' /tmp/hb-ghost.log && echo "  hackbench output: $(grep '^Time:' /tmp/hb-ghost.log)"
echo

echo "-- 4. what the kernel counted --"
ghostctl enclave status 1 | sed 's/^/  /'
echo "  (messages: thread events the kernel reported to the agent, by type;"
echo "   commits: the agent's decisions, by the kernel's answer)"
echo "  counters of enclave_1/stats (docs/abi.md explains each):"
awk 'BEGIN {
       why["complete"] = "latched: the thread ran where the agent said"
       why["target_stale"] = "the thread had news the agent had not read; it retried"
       why["agent_stale"] = "an event for the agent'"'"'s own CPU came first; it looked again"
       why["target_not_runnable"] = "the thread had blocked meanwhile"
       why["target_oncpu"] = "the thread was running on another CPU"
       why["target_not_found"] = "the thread had exited (or was not announced yet)"
       why["cpu_not_allowed"] = "the thread may not use that CPU (affinity)"
       why["cpu_not_in_enclave"] = "the CPU is not the enclave'"'"'s, or is offline"
       why["invalid"] = "unknown run flags"
       why["poisoned"] = "another member of its sync group failed"
       why["no_agent"] = "the CPU'"'"'s agent left first"
     }
     $1 == "msg_new" {
       printf "  %-20s %7d  threads that entered the enclave (NEW messages)\n",
              "threads", $2
     }
     $1 ~ /^txn_/ && $2 > 0 {
       r = substr($1, 5)
       printf "  %-20s %7d  %s\n", r, $2, why[r]
     }' $G/enclave_1/stats
echo
echo "-- 5. ghost vs CFS, same work (wall time ratio, lower is faster) --"
ratio() {
  awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN {
    printf "  %-10s %.2fx  ghost took %.2f s, CFS %.2f s (1.00x: as fast; above: slower)\n",
           n, a / b, a, b }'
}
ratio hackbench "$gh_hb" "$cfs_hb"
ratio stress-ng "$gh_st" "$cfs_st"
echo "  (why: every time a thread of the enclave wakes, blocks or yields, its"
echo "   agent hears of it and commits what runs next: a round trip CFS does"
echo "   not make. stress-ng's --switch workers do little else but switch,"
echo "   so they pay it most; docs/benchmarks.md measures each step.)"
echo

echo "-- 6. stopping the agent (SIGTERM): its enclave goes, threads to CFS --"
kill -TERM $agent
wait $agent || true
tail -n 3 /tmp/agent.log | sed 's/^/  agent: /'
echo "  last destroyed: $(tail -n 1 $G/destroyed)"
echo "  kernel objects left: $(tr '\n' ' ' < $G/objects)"
echo
echo "ghost kernel messages:"
dmesg | grep 'ghost:' | sed 's/^/  /'
echo "=================================================="
"""


def run_demo(args):
    phases = []
    clock = time.monotonic()

    def phase(name):
        nonlocal clock
        now = time.monotonic()
        phases.append((name, now - clock))
        clock = now

    if not args.no_deps:
        install_deps()
        phase("deps")
    bazel.build_vm(VM_BINARIES)
    phase("build")
    image = kernel.build(args.flavour)
    phase("kernel")
    initrd = build_initramfs(args.flavour)
    phase("initramfs")
    step(f"demo: booting the {args.flavour} ghost kernel in QEMU "
         f"(-smp {args.smp}, {args.memory})")
    result = qemu.run(image, initrd, DEMO_SCRIPT, paths.OUT / "vm" / "demo",
                      smp=args.smp, memory=args.memory, timeout=args.timeout)
    rc = qemu.report(result, "demo", phases)
    phases.append(("VM", result.elapsed))
    clock = time.monotonic()
    from lab import demo_headline  # it imports this module
    rc = demo_headline.run(image, initrd, flavour=args.flavour,
                           memory=args.memory) or rc
    phase("headline")
    # The last line: the whole command's time, the headline's boot too.
    say(f"demo: {'done' if rc == 0 else 'FAILED'} in "
        f"{summary.time_breakdown(phases)}")
    return rc


def run_bench(args):
    """Boots the lab and runs the microbenchmarks and the workloads against
    CFS (one boot)."""
    if not args.no_deps:
        install_deps()
    bazel.build_vm(VM_BINARIES)
    image = kernel.build(args.flavour)
    initrd = build_initramfs(args.flavour)
    step(f"bench: ghost vs CFS on the {args.flavour} kernel "
         f"(-smp {args.smp}); ratios matter, absolute times do not")
    parts = []
    if args.microbench:
        parts.append(f"/ghost/bin/ghost_microbench --rounds={args.rounds} "
                     f"--json=/host/microbench.json {args.bench_args}")
    if args.workloads != "none":
        names = None if args.workloads == "all" else args.workloads.split(",")
        parts.append(workload_bench.script(
            smp=args.smp, repeat=args.repeat, names=names,
            policies=args.policies.split(",") if args.policies else None,
            scale=args.scale))
    # The workloads run even if a microbenchmark failed (exit 1).
    command = "\n".join(f"( {p}\n) || bench_failed=1" for p in parts)
    command = f"bench_failed=0\n{command}\nexit $bench_failed"
    run_dir = paths.OUT / "vm" / "bench"
    result = qemu.run(image, initrd, command, run_dir, smp=args.smp,
                      memory=args.memory, timeout=args.timeout)
    rc = qemu.report(result, "bench")
    produced = run_dir / "share" / "microbench.json"
    if produced.exists():
        target = paths.OUT / "bench" / "microbench.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(produced.read_text())
        say(f"results: {target}")
    if (run_dir / "share" / "workloads").exists():
        say(f"workload logs: {run_dir / 'share' / 'workloads'}")
    return rc
