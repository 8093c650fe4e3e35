"""The demo's last words: one load point of RocksDB under CFS and under
Shinjuku, in one boot, the p99 of Gets side by side (issue: the headline
of the experiments, docs/experiments.md). The full sweep and its plots are
`tools/ghost lab experiment rocksdb`."""

from lab import experiment, experiment_modes, experiment_plan, paths
from lab.progress import LabError, say, step

# A fraction of the three worker CPUs' capacity, below both modes'
# saturation. Shinjuku's global agent keeps one of the three (its workers
# have two, plus the agent's CPU while it lends it), so 0.45 of three CPUs
# is about 0.68 of theirs; at 0.6 (0.9 of theirs) the point would compare
# capacity, not scheduling (docs/experiments.md, "Shinjuku alone").
LOAD = 0.45


def plan():
    return experiment_plan.Plan(
        "rocksdb", ["cfs", "shinjuku"], [LOAD], repeats=1, warmup_s=1,
        duration_s=5, drain_s=1.5, keys=20000)


def run(image, initrd, *, flavour, memory):
    """Runs the point and prints the headline; returns 0 if it ran."""
    p = plan()
    step(f"demo headline: RocksDB at {LOAD:.0%} of capacity, CFS then "
         "Shinjuku, one boot")
    try:
        result, results, problems, out_dir = experiment.execute(
            p, image, initrd, flavour=flavour, smp=4, memory=memory,
            echo=False, out_name="demo-headline")
    except LabError as e:
        say(f"demo headline: could not run: {e}")
        return 1
    by_mode = {r["mode"]: r for r in results["rows"]}
    cfs, sj = by_mode.get("cfs"), by_mode.get("shinjuku")
    if not result.ok or not cfs or not sj or None in (
            cfs.get("get_p99_ms"), sj.get("get_p99_ms")):
        say("demo headline: the run did not finish; its logs: "
            f"{result.run_dir}")
        for p_ in problems:
            say(f"  - {p_}")
        return 1
    print(headline(cfs, sj, results["calibration"]))
    full = paths.OUT / "experiments" / "rocksdb"
    plots = sorted(full.glob("*.png")) if full.exists() else []
    if plots:
        say(f"plots of the last full sweep: {', '.join(map(str, plots))}")
    else:
        say("plots: docs/img/rocksdb_get_latency.png is the sweep of "
            "docs/experiments.md; `tools/ghost lab experiment rocksdb` (a "
            "full sweep, 8-20 minutes) draws this machine's")
    say(f"this point's rows: {out_dir / 'results.csv'}")
    return 0


def headline(cfs, sj, calibration):
    """The side-by-side lines (pure: unit-tested)."""
    get_us = calibration["get_service_ns"] / 1e3 if calibration else None
    ratio = cfs["get_p99_ms"] / sj["get_p99_ms"] if sj["get_p99_ms"] else None
    lines = ["", "=" * 62,
             f"RocksDB Gets at {cfs['load']:.0%} of capacity "
             f"({cfs['offered_rps']:.0f} requests/s"
             + (f", Get = {get_us:.0f} us of CPU" if get_us else "") + ")",
             f"  {'':10} {'p50 ms':>9} {'p99 ms':>9} {'done':>6} {'samples':>8}"]
    for name, r in (("CFS", cfs), ("Shinjuku", sj)):
        lines.append(f"  {name:10} {r['get_p50_ms']:>9.2f} "
                     f"{r['get_p99_ms']:>9.2f} {r['completed_ratio']:>6.2f} "
                     f"{r['get_samples']:>8}")
    if ratio is not None:
        lines.append(f"  p99: Shinjuku {'%.1fx lower' % ratio if ratio >= 1 else '%.1fx higher' % (1 / ratio)} than CFS")
    if cfs.get("worker_cpus") is not None and \
            sj.get("worker_cpus") is not None:
        n = experiment_plan.N_CPUS
        kept = experiment_modes.MODES["shinjuku"].agent_cpus
        lines.append(f"  CPUs the workers used: CFS {cfs['worker_cpus']:.2f} "
                     f"of {n}, Shinjuku {sj['worker_cpus']:.2f} of "
                     f"{n - kept} + the agent's when lent")
    lines.append("  (one emulated VM, one repeat: p99s move 2x between runs;"
                 " docs/experiments.md)")
    lines.append("=" * 62)
    return "\n".join(lines)
