"""Suggestions as you type on the demo org: every prefix of typical questions, completed.

    python -m bench.bench_complete [--scale 62] [--runs 3] [--quick] [--no-write]

Builds (or reuses) the demo org under bench/out/ (bench/demo_db.py), loads its filter values
(reps, accounts, lead sources… as `kpibot complete` does), builds the parser and the completer
once, then completes every prefix of 24 questions, English and Chinese, one keystroke at a
time — what a Slack typeahead sends. Completion reads no table (the values are loaded once per
snapshot), so there is no bare-SQL column; the values load is shown for scale.
Goal (issue "Say it your way"): p95 ≤ 100 ms per keystroke on the 10M-Task org.
Writes the section "Suggestions as you type" of docs/benchmarks.md.
"""

from __future__ import annotations

import time

from bench.demo_db import bench_args, demo_db
from bench.report import percentile, publish, table
from cache.snapshot import SnapshotReader
from grammar import Parser
from grammar.complete import Completer
from metrics.catalog_load import cached_catalog
from metrics.values import load_values

QUESTIONS: tuple[str, ...] = (
    "connect rate by weekday last 31 days",
    "calls by rep last week",
    "how many deals did we close this quarter",
    "revenue won by rep this quarter vs last year",
    "top 5 reps by revenue won last quarter",
    "win rate for wen jiahao this year",
    "leads by lead source monthly this year",
    "average days in each stage this year",
    "follow-up rate by attempt last quarter",
    "open pipeline by stage",
    "meetings booked by rep last month",
    "lead response time by rep last 30 days",
    "outbound calls dashboard last quarter",
    "inbound leads web vs partner last 90 days",
    "emails so far this quarter",
    "deals won for acme last year",
    "本季度 按销售 赢单率",
    "上个月 电话数 按周",
    "各阶段平均时长",
    "线索数 按渠道 今年",
    "温家豪 vs 王芳 赢单金额",
    "接通率 按星期 过去30天",
    "上个月 calls by rep",
    "跟进率 同比",
)


def main() -> None:
    scale, runs, write = bench_args(__doc__ or "", runs=3, quick_runs=1)
    db = demo_db(scale)
    reader = SnapshotReader(db)
    catalog = cached_catalog()
    (tasks,) = reader.cursor().execute('SELECT count(*) FROM "Task"').fetchone()  # type: ignore[misc]
    t = time.perf_counter()
    values = load_values(reader.cursor(), catalog)
    values_ms = (time.perf_counter() - t) * 1000
    n_values = sum(len(v) for v in values.values())
    t = time.perf_counter()
    parser = Parser(catalog, values)
    parser_ms = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    completer = Completer(parser)
    completer_ms = (time.perf_counter() - t) * 1000

    partials = [q[:k] for q in QUESTIONS for k in range(1, len(q) + 1)]
    times: dict[str, list[float]] = {"English": [], "Chinese or mixed": []}
    for _ in range(runs):
        completer._parsed.clear()  # each run starts cold: no question remembered
        for p in partials:
            t = time.perf_counter()
            completer.complete(p)
            ms = (time.perf_counter() - t) * 1000
            zh = any("\u4e00" <= c <= "\u9fff" for c in p)
            times["Chinese or mixed" if zh else "English"].append(ms)
    everything = times["English"] + times["Chinese or mixed"]
    rows = [
        (k, len(v), f"{percentile(v, 50):.2f}", f"{percentile(v, 95):.2f}", f"{max(v):.1f}")
        for k, v in [*times.items(), ("all keystrokes", everything)]
    ]
    body = "\n\n".join(
        [
            f"`python -m bench.bench_complete --scale {scale:g}` on {tasks:,} Tasks "
            f"({n_values:,} filter values: reps, accounts, lead sources…). Every prefix of "
            f"{len(QUESTIONS)} questions, {runs} runs; times per keystroke in ms.",
            table(["partial questions", "keystrokes", "p50 ms", "p95 ms", "max ms"], rows),
            f"Once per snapshot: load the values {values_ms:.0f} ms, build the parser "
            f"{parser_ms:.0f} ms, build the completer {completer_ms:.0f} ms. Goal: p95 ≤ 100 ms.",
        ]
    )
    publish("Suggestions as you type (bench/bench_complete.py)", body, write)


if __name__ == "__main__":
    main()
