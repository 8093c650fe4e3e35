"""`ghost lab experiment rocksdb|antagonist`: one boot, a calibrated sweep,
CSV, JSON and plots (docs/experiments.md).

The VM runs the plan's guest script (lab/experiment_plan.py), which writes
one report per run into the host share; the host turns them into rows
(lab/experiment_results.py), writes out/experiments/<name>/results.{csv,json}
and draws the plots from that JSON (lab/experiment_plots.py).
"""

import dataclasses
import os
import shutil
import time

from lab import (bazel, experiment_modes, experiment_plan, experiment_plots,
                 experiment_results, kernel, paths, qemu, testrun)
from lab.progress import LabError, say, step

# A Get whose p99 is this many service times counts as saturated.
SATURATION_GETS = 20


def _plan(args):
    plan = (experiment_plan.quick_plan if args.quick
            else experiment_plan.full_plan)(args.name)
    if args.loads:
        plan.loads = [float(x) for x in args.loads.split(",")]
    if args.repeats:
        plan.repeats = args.repeats
    if args.duration:
        plan.duration_s = args.duration
    if args.modes:
        plan.modes = args.modes.split(",")
    return plan


def _timeout(plan):
    per_run = plan.warmup_s + plan.duration_s + plan.drain_s + 6
    return int(240 + per_run * len(experiment_plan.runs(plan)) * 1.5)


def execute(plan, image, initrd, *, flavour, smp, memory, echo=True,
            out_name=None):
    """Runs `plan` in one boot; returns (qemu result, results dict, problems
    of the quick check, output folder: out/experiments/<out_name or the
    experiment's name>)."""
    out_name = out_name or plan.experiment
    out_dir = paths.OUT / "experiments" / out_name
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    runs = experiment_plan.runs(plan)
    step(f"experiment {plan.experiment}: {len(runs)} runs "
         f"({', '.join(plan.modes)} x loads {plan.loads} x {plan.repeats} "
         f"repeats, {plan.duration_s} s each after {plan.warmup_s} s "
         f"warm-up) on the {flavour} kernel, -smp {smp}")
    load_before = os.getloadavg()
    result = qemu.run(image, initrd, experiment_plan.guest_script(plan),
                      paths.OUT / "vm" / f"experiment-{out_name}",
                      smp=smp, memory=memory, timeout=_timeout(plan),
                      echo=echo)
    load_after = os.getloadavg()
    calibration, run_docs = experiment_results.load_results(
        result.share / "results")
    rows = experiment_results.rows(run_docs, experiment_modes.agent_cpus())
    threshold = None
    if calibration:
        threshold = SATURATION_GETS * calibration["get_service_ns"] / 1e6
    extra = {
        "plan": dataclasses.asdict(plan),
        "kernel_flavour": flavour,
        "vm": {"smp": smp, "memory": memory},
        "host": {"cores": os.cpu_count(),
                 "loadavg_before": list(load_before),
                 "loadavg_after": list(load_after)},
        "saturation_threshold_ms": threshold,
        "saturation_load": (experiment_results.saturation(rows, threshold)
                            if threshold else None),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    destroyed = result.share / "results" / "destroyed.txt"
    lines = destroyed.read_text().splitlines() if destroyed.exists() else []
    extra["enclaves_destroyed"] = lines
    json_path = out_dir / "results.json"
    experiment_results.write_json(json_path, experiment=plan.experiment,
                                  calibration=calibration, rows_=rows,
                                  runs=run_docs, extra=extra)
    experiment_results.write_csv(rows, out_dir / "results.csv")
    if (result.share / "results").exists():
        # The raw reports, agent logs and counters, beside what they made.
        shutil.copytree(result.share / "results", out_dir / "runs")
    problems = []
    if calibration is None:
        problems.append("no calibration (the guest script stopped early)")
    missing = len(runs) - len(run_docs)
    if missing:
        problems.append(f"{missing} of {len(runs)} runs wrote no report")
    for line in lines:
        if "watchdog" in line:
            problems.append(f"the watchdog ended an enclave: {line}")
    problems += experiment_results.quick_check(rows, plan.modes, plan.loads)
    logs = {}
    for run in runs:
        log = result.share / "results" / f"{run.name}.agent.log"
        if log.exists():
            logs[run.name] = log.read_text(errors="replace")
    problems += experiment_results.hint_problems(
        runs, {m.name: m for m in experiment_modes.modes(plan.modes)}, logs)
    return result, {"rows": rows, "json": json_path, "extra": extra,
                    "calibration": calibration}, problems, out_dir


def _print_rows(rows):
    say("   mode              load ant   rps    p50 ms   p99 ms p99.9 ms  "
        "n(get) unfin done  wake50  wkCPU antCPU")
    for r in rows:
        def f(v, w=8, d=2):
            return f"{'-':>{w}}" if v is None else f"{v:>{w}.{d}f}"
        say(f"   {r['mode']:<17} {r['load']:.2f} {'yes' if r['antagonist'] else 'no ':<3}"
            f"{r['offered_rps']:>6.0f} {f(r['get_p50_ms'])} {f(r['get_p99_ms'])}"
            f" {f(r['get_p999_ms'])} {r['get_samples']:>7} "
            f"{r['get_unfinished']:>5} {f(r['completed_ratio'], 4, 2)}"
            f" {f(r['wake_p50_ms'], 7)} {f(r['worker_cpus'], 6)}"
            f" {f(r['antagonist_cpus'], 6)}")


def report(plan, result, results, problems, out_dir):
    """Prints the rows, the saturation loads, where the files are; makes the
    plots. Returns 0 if the VM run and the checks passed."""
    cal = results["calibration"]
    if cal:
        say(f"calibration: real Get {cal['get_work_ns'] / 1e3:.1f} us, "
            f"Range {cal['range_work_ns'] / 1e3:.1f} us CPU; wake round "
            f"trip CFS {cal['cfs_round_trip_ns'] / 1e3:.1f} us, ghost "
            f"{cal['ghost_round_trip_ns'] / 1e3:.1f} us -> Get "
            f"{cal['get_service_ns'] / 1e3:.0f} us, Range "
            f"{cal['range_service_ns'] / 1e3:.0f} us")
    _print_rows(results["rows"])
    extra = results["extra"]
    if extra["saturation_load"] is not None:
        say(f"saturation (Get p99 > {extra['saturation_threshold_ms']:.2f} "
            f"ms = {SATURATION_GETS}x Get, or unfinished requests), lowest "
            f"load: {extra['saturation_load']}")
    try:
        plots = experiment_plots.plot(results["json"], out_dir)
        say(f"plots: {', '.join(str(p) for p in plots)}")
    except ImportError as e:
        problems.append(f"no plots: {e} (install python3-matplotlib)")
    say(f"results: {out_dir / 'results.csv'}, {results['json']}")
    rc = qemu.report(result, f"experiment {plan.experiment}")
    for p in problems:
        say(f"  check failed: {p}")
    return 1 if rc or problems else 0


def run_experiment(args):
    plan = _plan(args)
    if not args.no_deps:
        testrun.install_deps()
    bazel.build_vm(testrun.VM_BINARIES)
    image = kernel.build(args.flavour)
    initrd = testrun.build_initramfs(args.flavour)
    result, results, problems, out_dir = execute(
        plan, image, initrd, flavour=args.flavour, smp=args.smp,
        memory=args.memory)
    if not args.quick:
        # Only the quick plan's loads are all below saturation.
        problems = [p for p in problems if "completed/offered" not in p]
    known = [m for m in experiment_modes.modes(plan.modes) if m.known_problem]
    for m in known:
        say(f"note: mode {m.name} {m.known_problem}")
    return report(plan, result, results, problems, out_dir)


def check_quick(tally, image, initrd, args):
    """The test command's tier: each experiment's --quick plan in one boot
    each; a case per experiment."""
    for name in ("rocksdb", "antagonist"):
        plan = experiment_plan.quick_plan(name)
        try:
            result, results, problems, out_dir = execute(
                plan, image, initrd, flavour=args.flavour, smp=4,
                memory=args.memory, echo=False)
        except LabError as e:
            tally.add("experiment", f"{name} --quick", False, str(e))
            continue
        _print_rows(results["rows"])
        if not result.ok:
            problems.append("; ".join(result.verdict.problems))
        tally.add("experiment",
                  f"{name} --quick: every mode completes, completed ~= "
                  "offered below saturation", not problems,
                  "; ".join(problems))
        say(f"  {'ok' if not problems else 'NOT OK'}: experiment {name} "
            f"--quick ({result.elapsed:.0f} s){': ' if problems else ''}"
            f"{'; '.join(problems)}")
