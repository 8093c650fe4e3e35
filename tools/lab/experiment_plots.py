"""The experiments' plots, made on the host from the results JSON with
Debian's matplotlib (python3-matplotlib), as PNG and SVG."""

import json
import pathlib

from lab import experiment_modes


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")  # no display: files only
    import matplotlib.pyplot as plt
    return plt


def _label(mode):
    m = experiment_modes.MODES.get(mode)
    return m.label if m else mode


def _save(fig, out_dir, stem):
    paths = []
    for ext in ("png", "svg"):
        path = pathlib.Path(out_dir) / f"{stem}.{ext}"
        fig.savefig(path, dpi=120, bbox_inches="tight")
        paths.append(path)
    return paths


def _series(rows, mode, field, antagonist=False):
    pts = [(r["load"], r[field]) for r in rows
           if r["mode"] == mode and r["antagonist"] == antagonist and
           r[field] is not None]
    return [p[0] for p in pts], [p[1] for p in pts]


def rocksdb_plot(doc, out_dir):
    """p99 and p50 of Gets vs offered load, one colour per mode."""
    plt = _pyplot()
    rows = doc["rows"]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for mode in dict.fromkeys(r["mode"] for r in rows):
        x, y = _series(rows, mode, "get_p99_ms")
        line, = ax.plot(x, y, "o-", label=f"{_label(mode)} p99")
        x, y = _series(rows, mode, "get_p50_ms")
        ax.plot(x, y, "s--", color=line.get_color(),
                label=f"{_label(mode)} p50", alpha=0.7)
    cal = doc.get("calibration") or {}
    if cal.get("get_service_ns"):
        ax.axhline(cal["get_service_ns"] / 1e6, color="grey", lw=0.8,
                   ls=":", label="Get service time")
    ax.set_yscale("log")
    ax.set_xlabel("offered load (fraction of 3 CPUs' capacity)")
    ax.set_ylabel("Get latency, ms (log)")
    ax.set_title("RocksDB Gets: latency vs offered load "
                 "(missing points: p99 unknown, requests unfinished)",
                 fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    paths = _save(fig, out_dir, "rocksdb_get_latency")
    plt.close(fig)
    return paths


def antagonist_plot(doc, out_dir):
    """The antagonist's CPUs and what RocksDB left idle vs load; RocksDB's
    p99 alone and beside it."""
    plt = _pyplot()
    rows = doc["rows"]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.5))
    for mode in dict.fromkeys(r["mode"] for r in rows):
        x, y = _series(rows, mode, "antagonist_cpus", antagonist=True)
        line, = ax.plot(x, y, "o-", label=f"{_label(mode)}: antagonist got")
        x, y = _series(rows, mode, "idle_cpus", antagonist=True)
        ax.plot(x, y, ":", color=line.get_color(),
                label=f"{_label(mode)}: RocksDB left idle")
        x, y = _series(rows, mode, "get_p99_ms")
        line, = bx.plot(x, y, "o-", label=f"{_label(mode)}: alone")
        x, y = _series(rows, mode, "get_p99_ms", antagonist=True)
        bx.plot(x, y, "s--", color=line.get_color(),
                label=f"{_label(mode)}: with antagonist")
    ax.set_xlabel("RocksDB offered load")
    ax.set_ylabel("CPUs (of 3)")
    ax.set_title("antagonist's CPU share", fontsize=9)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    bx.set_yscale("log")
    bx.set_xlabel("RocksDB offered load")
    bx.set_ylabel("Get p99, ms (log)")
    bx.set_title("RocksDB Get p99, alone and with the antagonist",
                 fontsize=9)
    bx.grid(True, which="both", alpha=0.3)
    bx.legend(fontsize=7)
    paths = _save(fig, out_dir, "antagonist_share")
    plt.close(fig)
    return paths


def plot(results_json, out_dir):
    doc = json.loads(pathlib.Path(results_json).read_text())
    if doc["experiment"] == "rocksdb":
        return rocksdb_plot(doc, out_dir)
    return antagonist_plot(doc, out_dir)
