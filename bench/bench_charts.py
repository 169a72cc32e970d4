"""How long a chart and a dashboard take to render (PNG bytes), with hand-built answers.

    .venv/bin/python bench/bench_charts.py [--runs 30] [--write docs/benchmarks.md]

Prints p50/p95 per chart kind and per dashboard; ``--write`` replaces this script's section of
docs/benchmarks.md. Targets: one chart p95 ≤ 120 ms; one dashboard ≤ 800 ms including its panel
queries (here the queries are hand-built answers; the run on the 10M-row cache adds ~10 ms each).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from charts import choose, render_answer, render_dashboard  # noqa: E402
from metrics.query import Query  # noqa: E402
from tests import chart_answers as ca  # noqa: E402

MARK_BEGIN = "<!-- bench_charts: begin -->"
MARK_END = "<!-- bench_charts: end -->"


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    k = min(len(xs) - 1, max(0, round(p / 100 * (len(xs) - 1))))
    return xs[k]


def time_ms(fn: object, runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds per call (CPU time shows the work when other jobs share
    the cores)."""
    wall, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        fn()  # type: ignore[operator]
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--write", type=Path, default=None)
    args = ap.parse_args()
    render_answer(ca.calls_by_rep())  # first render: font registration, caches
    lines = [
        f"Machine: {platform.processor() or platform.machine()}, Python "
        f"{platform.python_version()}; {args.runs} renders each, PNG bytes included; "
        f"load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
        "(wall times grow with it).",
        "",
        "| chart | kind | p50 ms | p95 ms | CPU p50 ms | CPU p95 ms |",
        "|---|---|---:|---:|---:|---:|",
    ]
    every: list[float] = []
    every_cpu: list[float] = []
    for name, make in ca.ALL.items():
        a = make()
        target = 5000.0 if name.startswith("gauge") else None
        ms, cpu = time_ms(lambda a=a, t=target: render_answer(a, target=t), args.runs)
        every += ms
        every_cpu += cpu
        lines.append(f"| {name} | {choose(a, target=target is not None)} | {pct(ms, 50):.0f} | "
                     f"{pct(ms, 95):.0f} | {pct(cpu, 50):.0f} | {pct(cpu, 95):.0f} |")
    lines.append(f"| **all charts** | | **{pct(every, 50):.0f}** | **{pct(every, 95):.0f}** | "
                 f"**{pct(every_cpu, 50):.0f}** | **{pct(every_cpu, 95):.0f}** |")
    lines += ["", "| dashboard | p50 ms | p95 ms | max ms | CPU p50 ms | CPU max ms |",
              "|---|---:|---:|---:|---:|---:|"]
    druns = max(args.runs // 3, 5)
    for name in ("kpi", "outbound calls", "inbound leads"):
        ms, cpu = time_ms(lambda n=name: render_dashboard(n, Query(dashboard=n), ca.serve),
                          druns)
        lines.append(f"| {name} | {pct(ms, 50):.0f} | {pct(ms, 95):.0f} | {max(ms):.0f} | "
                     f"{pct(cpu, 50):.0f} | {max(cpu):.0f} |")
    text = "\n".join(lines)
    print(text)
    print(f"\none chart p95 {pct(every, 95):.0f} ms wall, {pct(every_cpu, 95):.0f} ms CPU "
          f"(target ≤ 120); median {statistics.median(every):.0f} ms")
    if args.write:
        section = f"{MARK_BEGIN}\n## Charts (bench/bench_charts.py)\n\n{text}\n{MARK_END}\n"
        old = args.write.read_text(encoding="utf-8") if args.write.exists() else "# Benchmarks\n"
        if MARK_BEGIN in old and MARK_END in old:
            head, rest = old.split(MARK_BEGIN, 1)
            new = head + section + rest.split(MARK_END, 1)[1].lstrip("\n")
        else:
            new = old.rstrip("\n") + "\n\n" + section
        args.write.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    main()
