"""The 20 benchmark questions on Spark local[2] over the demo org's Parquet, beside DuckDB.

    python -m bench.bench_spark [--scale 62] [--runs 3] [--quick] [--no-write]

Each question of bench.bench_ask (its 20 KPI questions, not the field-search ones) is parsed and
compiled once; then the same compiled tree runs as DuckDB SQL on the snapshot and as Spark SQL
(metrics.dialects) with the same bound parameters on a local[2] session over the snapshot's
Parquet copy (cache.lake, written once; its time is reported). Writes the section
"Spark local[2] beside DuckDB" of docs/benchmarks.md.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

import grammar
from bench.bench_ask import QUESTIONS, field_catalog
from bench.demo_db import OUT, TODAY, TZ, bench_args, demo_db
from bench.report import percentile, table, write_section
from cache.snapshot import SnapshotReader, current_target
from metrics.prepare import prepare
from metrics.settings import OrgSettings
from metrics.spark import SparkReader
from metrics.values import load_values

KPI_QUESTIONS = QUESTIONS[:20]
BUDGET_S = 60.0  # per question on Spark; past it, stop once one timed run is in


def _ms(f: Any) -> float:
    t = time.perf_counter()
    f()
    return (time.perf_counter() - t) * 1e3


def measure(db: Path, runs: int, today: date) -> tuple[list[list[object]], float, float]:
    settings = OrgSettings.model_validate({"timezone": TZ})
    duck = SnapshotReader(db)
    catalog = field_catalog(duck)
    values = load_values(duck.cursor(), catalog)
    con = duckdb.connect(str(current_target(db)), read_only=True)
    lake = OUT / "lake"
    t0 = time.perf_counter()
    spark = SparkReader(db, str(lake), "local[2]", conf={"spark.driver.memory": "2g"})
    spark.session  # noqa: B018 — the session's start, timed apart
    start_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    spark.refresh()  # the Parquet copy (once per snapshot) and the views
    export_s = time.perf_counter() - t1
    rows: list[list[object]] = []
    for q in KPI_QUESTIONS:
        query = grammar.parse(q, catalog, values).query
        p = prepare(query, catalog=catalog, settings=settings, today=today)
        duck_ms = [_ms(lambda p=p: con.execute(p.compiled.sql, p.params).fetchall())]
        duck_ms += [
            _ms(lambda p=p: con.execute(p.compiled.sql, p.params).fetchall()) for _ in range(runs)
        ]
        first = _ms(lambda p=p: spark.execute(p.compiled.tree, p.params))  # plans, warms
        spark_ms: list[float] = []
        budget = time.perf_counter() + BUDGET_S
        for _ in range(runs):
            spark_ms.append(_ms(lambda p=p: spark.execute(p.compiled.tree, p.params)))
            if time.perf_counter() > budget:
                break
        d50, s50 = percentile(duck_ms[1:], 50), percentile(spark_ms, 50)
        rows.append(
            [
                q,
                f"{d50:.0f}",
                f"{first:.0f}",
                f"{s50:.0f}",
                f"{percentile(spark_ms, 95):.0f}",
                f"{s50 / d50:.0f}×" if d50 else "—",
            ]
        )
        print(" | ".join(str(x) for x in rows[-1]), flush=True)
    con.close()
    spark.session.stop()
    return rows, start_s, export_s


def report(rows: list[list[object]], start_s: float, export_s: float, scale: float) -> str:
    head = (
        f"Demo org at --scale {scale:g} (`bench/demo_db.py`, today {TODAY}); the same compiled "
        "question on DuckDB (the snapshot file, bare SQL) and on Spark 4 local[2] (2 cores, "
        "2 GB driver, `spark.sql.shuffle.partitions=2`) over the snapshot's Parquet copy. "
        f"Spark session start {start_s:.0f} s; Parquet export of the snapshot {export_s:.0f} s "
        "(once per published snapshot). Times in ms; Spark's first run includes planning.\n\n"
    )
    body = table(
        ("question", "DuckDB p50", "Spark first", "Spark p50", "Spark p95", "Spark ÷ DuckDB"),
        rows,
    )
    tail = """

What a cluster would change (on paper, not measured here): on local[2] Spark pays a job's
fixed cost (planning, task scheduling, a shuffle per GROUP BY) on two cores the whole machine
shares, and reads Parquet it cannot keep in memory between questions, so it loses to DuckDB on
every question at 10M Tasks. A cluster adds executors and memory: scans and partial
aggregates split across executors, so a question over hundreds of millions of activities takes
about what one executor's share takes, plus the same fixed cost (hundreds of milliseconds on
Databricks with a warm SQL warehouse, seconds on a cold cluster). It does not make a 10M-row
question faster than DuckDB; it makes a 1B-row question possible at all, and it is where the
data already lives in a lakehouse. Caching the views (`CACHE TABLE`) or Delta tables with
statistics would cut the scan part; the fixed part stays.
"""
    return head + body + tail


def main() -> None:
    scale, runs, write = bench_args(__doc__ or "", 3, 1)
    db = demo_db(scale, TODAY)
    started = time.perf_counter()
    rows, start_s, export_s = measure(db, runs, TODAY)
    body = report(rows, start_s, export_s, scale)
    print(body)
    print(f"({time.perf_counter() - started:.0f} s)")
    if write:
        write_section("Spark local[2] beside DuckDB", body)


if __name__ == "__main__":
    main()
