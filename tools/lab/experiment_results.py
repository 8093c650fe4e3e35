"""From the run files an experiment's VM wrote to its rows, CSV and JSON.

Each run wrote `<name>.json` (rocksdb_bench's report) and, with the
antagonist, `<name>.antagonist.json` (its CPU clock samples). A row is one
(mode, load, antagonist or not) point over its repeats: the counts summed,
the latency percentiles as the median of the repeats (with the smallest and
largest p99 beside it; of two repeats, their mean), and the antagonist's CPU time over the RocksDB run's
measurement window. A percentile that an unfinished request makes unknown
is None here, empty in the CSV, null in the JSON, and counts as infinitely
large when repeats are combined.
"""

import csv
import json
import math
import pathlib
import re

N_CPUS = 3

ROW_FIELDS = [
    "mode", "load", "antagonist", "offered_rps", "repeats", "invalid_runs",
    "get_offered", "get_completed", "get_unfinished", "get_samples",
    "completed_ratio", "get_p50_ms", "get_p99_ms", "get_p999_ms",
    "get_p99_ms_min", "get_p99_ms_max", "range_p99_ms", "wake_p50_ms",
    "wake_p99_ms", "queue_p99_ms", "generate_p99_ms", "worker_cpus",
    "idle_cpus", "antagonist_cpus", "antagonist_share_of_idle",
]


def load_results(results_dir):
    """(calibration or None, runs): every run's report, with its antagonist
    samples under "antagonist_result" and its file name under "name"."""
    results_dir = pathlib.Path(results_dir)
    calibration = None
    cal = results_dir / "calibration.json"
    if cal.exists():
        calibration = json.loads(cal.read_text())
    runs = []
    for path in sorted(results_dir.glob("*.json")):
        if path.name == "calibration.json" or \
                path.name.endswith(".antagonist.json"):
            continue
        run = json.loads(path.read_text())
        run["name"] = path.stem
        ant = results_dir / f"{path.stem}.antagonist.json"
        run["with_antagonist"] = path.stem.endswith("-antagonist")
        if ant.exists():
            run["antagonist_result"] = json.loads(ant.read_text())
        runs.append(run)
    return calibration, runs


def _cpu_at(samples, thread, t):
    """A thread's CPU clock at time `t`, linear between the two samples
    around it; None if `t` is outside the samples."""
    if not samples or t < samples[0][0] or t > samples[-1][0]:
        return None
    for a, b in zip(samples, samples[1:]):
        if a[0] <= t <= b[0]:
            if b[0] == a[0]:
                return a[1 + thread]
            f = (t - a[0]) / (b[0] - a[0])
            return a[1 + thread] + f * (b[1 + thread] - a[1 + thread])
    return samples[-1][1 + thread]


def antagonist_cpus(samples, t0, t1):
    """CPUs the antagonist's threads got together in [t0, t1] (CPU time /
    wall time, summed over threads); None if the samples do not cover it."""
    if not samples or t1 <= t0:
        return None
    total = 0.0
    for thread in range(len(samples[0]) - 1):
        a, b = _cpu_at(samples, thread, t0), _cpu_at(samples, thread, t1)
        if a is None or b is None:
            return None
        total += (b - a) / (t1 - t0)
    return total


def _ms(ns):
    return None if ns is None else ns / 1e6


def _median(values):
    """Median (of an even count: the mean of the two middle values), None
    (unknown) counting as +infinity; None if the median is."""
    if not values:
        return None
    keyed = sorted(math.inf if v is None else v for v in values)
    n = len(keyed)
    m = keyed[n // 2] if n % 2 else (keyed[n // 2 - 1] + keyed[n // 2]) / 2
    return None if m == math.inf else m


def _round(v, digits=3):
    return None if v is None else round(v, digits)


def _point(runs, agent_cpus):
    first = runs[0]
    cfg = first["config"]
    get = [r["get"] for r in runs]
    rng = [r["range"] for r in runs]
    offered = sum(g["offered"] for g in get) + sum(x["offered"] for x in rng)
    completed = sum(g["completed"] for g in get) + \
        sum(x["completed"] for x in rng)
    p99s = [_ms(g["total"]["p99_ns"]) for g in get]
    worker = _median([r["worker_cpus_used"] for r in runs])
    ant = [r.get("antagonist_cpus") for r in runs if r["with_antagonist"]]
    ant_cpus = _median(ant) if ant else None
    usable = N_CPUS - agent_cpus.get(cfg["mode"], 0)
    idle = None if worker is None else max(0.0, usable - worker)
    return {
        "mode": cfg["mode"],
        "load": cfg["load"],
        "antagonist": first["with_antagonist"],
        "offered_rps": _round(cfg["offered_rps"], 1),
        "repeats": len(runs),
        "invalid_runs": sum(1 for r in runs if not r["ok"]),
        "get_offered": sum(g["offered"] for g in get),
        "get_completed": sum(g["completed"] for g in get),
        "get_unfinished": sum(g["unfinished"] for g in get),
        "get_samples": sum(g["total"]["count"] for g in get),
        "completed_ratio": _round(completed / offered if offered else None, 4),
        "get_p50_ms": _round(_median([_ms(g["total"]["p50_ns"])
                                      for g in get])),
        "get_p99_ms": _round(_median(p99s)),
        "get_p999_ms": _round(_median([_ms(g["total"]["p999_ns"])
                                       for g in get])),
        "get_p99_ms_min": _round(min((v for v in p99s if v is not None),
                                     default=None)),
        "get_p99_ms_max": _round(None if None in p99s else max(p99s)),
        "range_p99_ms": _round(_median([_ms(x["total"]["p99_ns"])
                                        for x in rng])),
        "wake_p50_ms": _round(_median([_ms(g["stages"]["wake"]["p50_ns"])
                                       for g in get])),
        "wake_p99_ms": _round(_median([_ms(g["stages"]["wake"]["p99_ns"])
                                       for g in get])),
        "queue_p99_ms": _round(_median([_ms(g["stages"]["queue"]["p99_ns"])
                                        for g in get])),
        "generate_p99_ms": _round(_median(
            [_ms(g["stages"]["generate"]["p99_ns"]) for g in get])),
        "worker_cpus": _round(worker),
        "idle_cpus": _round(idle),
        "antagonist_cpus": _round(ant_cpus),
        "antagonist_share_of_idle": _round(
            ant_cpus / idle if ant_cpus is not None and idle else None),
    }


def rows(runs, agent_cpus=None):
    """One row per (mode, load, antagonist), ordered by those.
    `agent_cpus` ({mode: n}): CPUs of the three a mode's agent keeps, not
    counted as left idle by RocksDB."""
    agent_cpus = agent_cpus or {}
    for run in runs:
        samples = (run.get("antagonist_result") or {}).get("samples")
        w = run["window"]
        run["antagonist_cpus"] = antagonist_cpus(
            samples, w["start_ns"], w["end_ns"]) if samples else None
    groups = {}
    for run in runs:
        key = (run["config"]["mode"], run["config"]["load"],
               run["with_antagonist"])
        groups.setdefault(key, []).append(run)
    return [_point(groups[k], agent_cpus) for k in sorted(groups)]


def saturation(rows_, threshold_ms):
    """Per mode (RocksDB alone), the lowest load from which on every load of
    the sweep is saturated: the Gets' p99 above `threshold_ms` or unknown,
    or requests left unfinished. (One noisy point below does not count.)
    None if the highest load is not saturated."""
    by_mode = {}
    for row in rows_:
        if not row["antagonist"]:
            by_mode.setdefault(row["mode"], []).append(row)
    out = {}
    for mode, points in by_mode.items():
        out[mode] = None
        for row in sorted(points, key=lambda r: r["load"], reverse=True):
            saturated = row["get_p99_ms"] is None or \
                row["get_p99_ms"] > threshold_ms or row["get_unfinished"] > 0
            if not saturated:
                break
            out[mode] = row["load"]
    return out


def quick_check(rows_, modes, loads, min_ratio=0.98):
    """Problems (strings) of a quick run: a mode with no valid runs, or
    below saturation (every load of the quick plan is, for RocksDB alone)
    fewer requests completed than `min_ratio` of those offered. Beside the
    antagonist a mode without priorities may saturate, so there the check
    is that the run was valid and the antagonist's share was measured."""
    problems = []
    for mode in modes:
        mine = [r for r in rows_ if r["mode"] == mode]
        for load in loads:
            point = [r for r in mine if r["load"] == load]
            if not point:
                problems.append(f"{mode} at load {load}: no run finished")
                continue
            for r in point:
                what = f"{mode} at load {load}" + \
                    (" with the antagonist" if r["antagonist"] else "")
                if r["invalid_runs"]:
                    problems.append(f"{what}: {r['invalid_runs']} invalid "
                                    "run(s) (see the run's 'problem')")
                if r["antagonist"]:
                    if r["antagonist_cpus"] is None:
                        problems.append(f"{what}: no antagonist samples "
                                        "over the run's window")
                    continue
                ratio = r["completed_ratio"]
                if ratio is None or ratio < min_ratio:
                    problems.append(f"{what}: completed/offered {ratio} < "
                                    f"{min_ratio}")
    return problems


def hint_problems(runs_, modes_by_name, agent_logs):
    """Problems (strings): a run of a mode whose workers take a QoS class
    (`--qos` in its worker flags) whose agent applied no hint ("hints=0" in
    the agent's stop line, or no stop line): its classes were never in
    force, so its numbers are not that mode's. `agent_logs`: {run name:
    the agent log's text}; runs without a log (no agent) are skipped."""
    problems = []
    for run in runs_:
        mode = modes_by_name.get(run.mode)
        if mode is None or "--qos" not in mode.worker_flags or \
                run.name not in agent_logs:
            continue
        found = re.search(r"\bhints=(\d+)", agent_logs[run.name])
        if found is None or int(found.group(1)) == 0:
            problems.append(f"{run.name}: the agent applied no QoS hint "
                            "(the workers' classes never reached it)")
    return problems


def write_csv(rows_, path):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=ROW_FIELDS)
        w.writeheader()
        for row in rows_:
            w.writerow({k: ("" if row[k] is None else row[k])
                        for k in ROW_FIELDS})


def write_json(path, *, experiment, calibration, rows_, runs, extra):
    """The results file the plots are made from."""
    slim = []
    for run in runs:
        run = dict(run)
        run.pop("antagonist_result", None)  # the samples stay in their file
        slim.append(run)
    doc = {"experiment": experiment, "calibration": calibration,
           "rows": rows_, "runs": slim, **extra}
    pathlib.Path(path).write_text(json.dumps(doc, indent=1) + "\n")
