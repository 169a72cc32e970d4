"""Charts and dashboards on the 10M-Task demo org, end to end on the real engine.

    python -m bench.bench_dashboards [--scale 62] [--runs 10] [--quick] [--no-write]

Charts: render_answer on the real answers of bench_ask's questions (answers computed once; only
the drawing and PNG encoding are timed). Dashboards: RealBackend.ask("<name> dashboard") as
`kpibot ask` and Slack run it — parse, every panel's query on the cache, drawing, PNG — with the
panel queries' share measured separately. Targets (issue #4): one chart p95 ≤ 120 ms, one
dashboard ≤ 800 ms including its panel queries. Writes the section "Charts and dashboards
(10M Tasks)" of docs/benchmarks.md.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

from bench.bench_ask import QUESTIONS
from bench.demo_db import TODAY, TZ, bench_args, demo_db
from bench.report import percentile, publish, save_results, table
from bot.backend import RealBackend
from bot.config import AppConfig
from charts.choose import choose
from charts.render import render_answer
from metrics.answer import Answer

DASHBOARDS = ("kpi dashboard", "outbound calls dashboard", "inbound leads dashboard")


class TimedBackend(RealBackend):
    """The real backend, noting when its panel queries start and end (they run concurrently)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spans: list[tuple[float, float]] = []
        self._spans_lock = threading.Lock()

    def _run(
        self, query: Any, question: str, today: date | None, *rest: Any, **kw: Any
    ) -> Answer:
        """The engine's run (scope, language passed on as given), its span kept."""
        t = time.perf_counter()
        try:
            return super()._run(query, question, today, *rest, **kw)
        finally:
            with self._spans_lock:
                self.spans.append((t, time.perf_counter()))

    def query_ms(self) -> tuple[float, float]:
        """(sum of the panel queries' times, first start to last end), in ms."""
        if not self.spans:
            return 0.0, 0.0
        total = sum(b - a for a, b in self.spans)
        span = max(b for _, b in self.spans) - min(a for a, _ in self.spans)
        return total * 1e3, span * 1e3


def timed(fn: Any, runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU ms of each call (CPU time shows the work whatever else shares the cores)."""
    wall, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t) * 1e3)
        cpu.append((time.process_time() - c) * 1e3)
    return wall, cpu


def charts(
    backend: RealBackend, runs: int, keep: dict[str, Any]
) -> tuple[list[tuple[str, ...]], list[float]]:
    rows: list[tuple[str, ...]] = []
    every: list[float] = []
    for q in QUESTIONS:
        reply = backend.ask(q, today=TODAY, with_chart=False)
        if reply.answer is None:
            rows.append((q, "—", f"no answer: {reply.error}", "", "", ""))
            continue
        a = reply.answer
        render_answer(a, currency=backend.config.currency)  # warm: fonts, caches
        wall, cpu = timed(lambda a=a: render_answer(a, currency=backend.config.currency), runs)
        every += wall
        keep[q] = {"p50": percentile(wall, 50), "p95": percentile(wall, 95),
                   "cpu": percentile(cpu, 50)}
        rows.append((q, str(choose(a)), f"{percentile(wall, 50):.0f}",
                     f"**{percentile(wall, 95):.0f}**", f"{percentile(cpu, 50):.0f}",
                     f"{percentile(cpu, 95):.0f}"))
    return rows, every


def dashboards(
    backend: TimedBackend, runs: int, keep: dict[str, Any]
) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for name in DASHBOARDS:
        backend.ask(name, today=TODAY)  # warm
        total: list[float] = []
        span: list[float] = []

        def once(name: str = name, total: list[float] = total, span: list[float] = span) -> None:
            backend.spans.clear()
            reply = backend.ask(name, today=TODAY)
            if reply.chart_png is None:
                raise SystemExit(f"{name}: no image ({reply.error})")
            t, s = backend.query_ms()
            total.append(t)
            span.append(s)

        wall, cpu = timed(once, runs)
        keep[name] = {"p50": percentile(wall, 50), "p95": percentile(wall, 95),
                      "cpu": percentile(cpu, 50), "queries": percentile(total, 50)}
        rows.append((name, f"{percentile(wall, 50):.0f}", f"**{percentile(wall, 95):.0f}**",
                     f"{max(wall):.0f}", f"{percentile(total, 50):.0f}",
                     f"{percentile(span, 50):.0f}", f"{percentile(cpu, 50):.0f}"))
    return rows


def main() -> None:
    scale, runs, write = bench_args(__doc__ or "", 10, 2)
    db: Path = demo_db(scale, TODAY)
    backend = TimedBackend(AppConfig(timezone=TZ, db_override=str(db)))
    backend.ask(QUESTIONS[0], today=TODAY, with_chart=False)
    backend.settle()  # as a serving process does once a snapshot's parser is built (bot/heap.py)
    started = time.perf_counter()
    kept: dict[str, Any] = {"charts": {}, "dashboards": {}}
    chart_rows, every = charts(backend, runs, kept["charts"])
    dash_rows = dashboards(backend, max(runs // 2, 2), kept["dashboards"])
    kept["all_charts_p95"] = percentile(every, 95)
    save_results("dashboards", scale, kept)
    load = os.getloadavg()
    body = (
        f"Demo org at --scale {scale:g} (today {TODAY}); ms. Charts: {runs} renders of each real "
        "answer (PNG bytes included, the query not). Dashboards: "
        f"{max(runs // 2, 2)} runs of `RealBackend.ask(name)` end to end; the panel queries run "
        "concurrently while finished panels are drawn: `queries Σ` adds up their times, "
        "`queries span` is first start to last end (p50s). Load average after the "
        f"run: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on {os.cpu_count()} cores; "
        f"{time.perf_counter() - started:.0f} s in all.\n\n"
        + table(["question", "chart", "p50", "p95", "CPU p50", "CPU p95"], chart_rows)
        + f"\n\nAll charts: p50 {percentile(every, 50):.0f} ms, p95 "
        f"**{percentile(every, 95):.0f} ms** (target ≤ 120 ms).\n\n"
        + table(["dashboard", "p50", "p95", "max", "queries Σ", "queries span", "CPU p50"],
                dash_rows)
        + "\n\nTarget: one dashboard ≤ 800 ms including its panel queries."
    )
    publish("Charts and dashboards (10M Tasks)", body, write)


if __name__ == "__main__":
    main()
