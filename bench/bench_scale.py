"""Where one machine stops: the demo org at growing scales, end to end on this machine.

    KPIBOT_BENCH_DATA=/big/disk nice -n 15 python -m bench.bench_scale [--scales 1,6.2,62,620]
        [--runs 5] [--steps build,load,ask,dashboards] [--again] [--report-only]

--scale 1 is about 160k Tasks, 62 about 10M, 310 about 50M, 620 about 100M. For each scale, each
step runs as its own process (so its memory is its own): the demo org's build (bench/demo_db.py),
its Data Export written and loaded back (bench_load), the 20 benchmark questions (bench_ask) and
the charts and three dashboards (bench_dashboards), all with --no-write. Each saves its numbers
in bench/results/; a step whose results for that scale exist is skipped unless --again.
Then the section "Where one machine stops" of docs/benchmarks.md is written from every saved
result, so a step measured in another session (or by hand) still counts.

Disk and memory: the 100M-Task org needs about 7 GB, its Data Export 27 GB and the loaded copy
7 GB more; put them on a disk with room (``$KPIBOT_BENCH_DATA``). Its build peaks near 20 GB of
memory (DuckDB's default limit, 80 % of RAM); the load stays under 2 GB.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.report import RESULTS, load_line, publish, results, table

ROOT = Path(__file__).resolve().parent.parent
STEPS = ("build", "load", "ask", "dashboards")
RESULT_OF = {"build": "demo", "load": "load", "ask": "ask", "dashboards": "dashboards"}
CLASSES = ("lead", "opportunity", "activity")
TITLE = "Where one machine stops"  # the section's key; its heading names the scales measured


def command(step: str, scale: float, runs: int) -> list[str]:
    py = [sys.executable, "-m"]
    if step == "build":
        return [*py, "bench.demo_db", "--scale", f"{scale:g}"]
    if step == "load":
        return [*py, "bench.bench_load", "--scale", f"{scale:g}"]
    return [*py, f"bench.bench_{step}", "--scale", f"{scale:g}", "--runs", str(runs), "--no-write"]


def run_step(step: str, scale: float, runs: int) -> None:
    print(f"\n=== {step} at --scale {scale:g} ({load_line()})", flush=True)
    t = time.perf_counter()
    done = subprocess.run(command(step, scale, runs), cwd=ROOT, check=False)
    print(f"=== {step} at --scale {scale:g}: exit {done.returncode}, "
          f"{time.perf_counter() - t:.0f} s", flush=True)


def _gb(mb: float | None) -> str:
    return "—" if mb is None else f"{mb / 1024:.1f} GB"


def _s(v: float | None) -> str:
    if v is None:
        return "—"
    return f"{v / 60:.0f} min" if v >= 600 else f"{v:.0f} s"


def _class_rows(ask: dict[float, dict[str, Any]], scales: list[float]) -> list[tuple[str, ...]]:
    rows = []
    for cls in CLASSES:
        cells = [cls]
        for sc in scales:
            qs = [q for q in ask.get(sc, {}).get("questions", {}).values() if q["class"] == cls]
            if not qs:
                cells.append("—")
                continue
            p50 = statistics.median(q["p50"] for q in qs)
            p95 = max(q["p95"] for q in qs)
            cpu = statistics.median(q["cpu"] for q in qs)
            cpu_max = max(q["cpu"] for q in qs)
            cells.append(f"{p50:.0f} / {p95:.0f} · CPU {cpu:.0f} (max {cpu_max:.0f})")
        rows.append(tuple(cells))
    return rows


def _question_rows(ask: dict[float, dict[str, Any]], scales: list[float]) -> list[tuple[str, ...]]:
    names: list[str] = []
    for sc in scales:
        for q, v in ask.get(sc, {}).get("questions", {}).items():
            if v["class"] in CLASSES and q not in names:
                names.append(q)
    rows = []
    for q in names:
        cells = [q]
        for sc in scales:
            v = ask.get(sc, {}).get("questions", {}).get(q)
            cells.append("—" if v is None else f"{v['p95']:.0f} · {v['cpu']:.0f}")
        rows.append(tuple(cells))
    return rows


def _dash_rows(dash: dict[float, dict[str, Any]], scales: list[float]) -> list[tuple[str, ...]]:
    names = list(dict.fromkeys(n for sc in scales for n in dash.get(sc, {}).get("dashboards", {})))
    rows = []
    for n in names:
        cells = [n]
        for sc in scales:
            v = dash.get(sc, {}).get("dashboards", {}).get(n)
            cells.append("—" if v is None else
                         f"{v['p50']:.0f} / {v['p95']:.0f} · CPU {v['cpu']:.0f}")
        rows.append(tuple(cells))
    rows.append(("all charts p95", *(
        "—" if "all_charts_p95" not in dash.get(sc, {}) else f"{dash[sc]['all_charts_p95']:.0f}"
        for sc in scales)))
    return rows


def _tasks(sc: float, demo: dict[float, dict[str, Any]]) -> str:
    t = demo.get(sc, {}).get("tasks")
    return f"{t / 1e6:.1f}M Tasks" if t else f"--scale {sc:g}"


def title() -> str:
    """The heading, naming the scales measured: "Where one machine stops (1M → 10M → 100M
    Tasks)"."""
    demo = results("demo")
    sizes = [f"{demo[sc]['tasks'] / 1e6:.0f}M" for sc in sorted(demo)
             if demo[sc].get("tasks", 0) >= 5e5]
    return f"{TITLE} ({' → '.join(sizes)} Tasks)" if sizes else TITLE


def report() -> str:
    demo, load, ask, dash = (results(n) for n in ("demo", "load", "ask", "dashboards"))
    scales = sorted(set(demo) | set(load) | set(ask) | set(dash))
    if not scales:
        return "No results yet: run `python -m bench.bench_scale`."
    head = ["", *(_tasks(sc, demo) for sc in scales)]
    size_rows = [
        ("--scale", *(f"{sc:g}" for sc in scales)),
        ("demo build (wall)", *(_s(demo.get(sc, {}).get("seconds")) for sc in scales)),
        ("demo build peak memory", *(_gb(demo.get(sc, {}).get("peak_mb")) for sc in scales)),
        ("cache file", *(_gb(demo.get(sc, {}).get("cache_mb")) for sc in scales)),
        ("Data Export (CSV)", *(_gb(load.get(sc, {}).get("csv_mb")) for sc in scales)),
        ("`kpibot load` (wall)", *(_s(load.get(sc, {}).get("seconds")) for sc in scales)),
        ("`kpibot load` CPU", *(_s(load.get(sc, {}).get("cpu_s")) for sc in scales)),
        ("`kpibot load` peak memory", *(_gb(load.get(sc, {}).get("peak_mb")) for sc in scales)),
        ("loaded cache file", *(_gb(load.get(sc, {}).get("cache_mb")) for sc in scales)),
    ]
    loads = {
        f"{name} {sc:g}": r[sc]["load"][0]
        for name, r in (("build", demo), ("load", load), ("ask", ask), ("dashboards", dash))
        for sc in r
    }
    when = ", ".join(f"{k}: {v:.1f}" for k, v in loads.items())
    return (
        "`python -m bench.bench_scale` (each step its own process, under `nice -n 15`), on "
        f"{os.cpu_count()} cores. Load average (1 min) when each step ended (above ~2 the "
        f"step shared the cores with other jobs): {when}. A wall time grows with the load; CPU "
        f"time does not.\n\n"
        + table(head, size_rows)
        + "\n\n**Questions by class** (the 20 of bench_ask: 9 lead, 7 opportunity, 4 activity "
        "KPIs): answer ms, median p50 of the class / worst p95 · CPU ms per answer (median, "
        "max).\n\n"
        + table(head, _class_rows(ask, scales))
        + "\n\nEach question, p95 ms · CPU ms:\n\n"
        + table(["question", *head[1:]], _question_rows(ask, scales))
        + "\n\n**Dashboards** (`RealBackend.ask`, end to end, ms p50 / p95 · CPU) and charts:\n\n"
        + table(head, _dash_rows(dash, scales))
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", default="1,6.2,62,620")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--steps", default=",".join(STEPS))
    ap.add_argument("--again", action="store_true", help="re-run steps that have results")
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    if not args.report_only:
        for sc in (float(x) for x in args.scales.split(",")):
            for step in args.steps.split(","):
                have = (RESULTS / f"{RESULT_OF[step]}-{sc:g}.json").exists()
                if have and not args.again:
                    print(f"=== {step} at --scale {sc:g}: results kept (--again to re-run)")
                    continue
                run_step(step, sc, args.runs)
    body = report()
    publish(title(), body, not args.no_write, key="bench_scale")


if __name__ == "__main__":
    main()
