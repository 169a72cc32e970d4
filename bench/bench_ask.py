"""Answer time of the metrics layer on a big synthetic org, against the bare SQL it runs.

    python -m bench.bench_ask [--tasks 10000000] [--db /tmp/kpibot-bench.duckdb] [--runs 30]

Builds the org once (reused when the file exists with the same size), then for each question
times ``metrics.engine.run`` (window, compile from cache, bind, run, fetch) and the same SQL with
the same parameters run bare on the same cursor, and writes the table to docs/benchmarks.md.
Target: text answer p95 ≤ 30 ms at 10 million Tasks, the layers adding ≤ 30 % over bare SQL.
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

import duckdb

from bench.report import percentile, table, write_section
from metrics.catalog import cached_catalog
from metrics.compiler import compile_query, query_params
from metrics.engine import run, settings_params, window_params
from metrics.query import Comparison, Query, WindowSpec
from metrics.settings import OrgSettings
from metrics.windows import compare_window, resolve
from salesforce import schema

TODAY = date(2024, 6, 27)
QUESTIONS: dict[str, Query] = {
    "calls (this quarter)": Query(metrics=("calls",)),
    "connect rate by weekday last 31 days": Query(
        metrics=("connect rate",),
        groupings=("weekday",),
        window=WindowSpec("last", n=31, unit="day"),
    ),
    "calls, connect rate by rep": Query(metrics=("calls", "connect rate"), groupings=("rep",)),
    "connect rate by hour": Query(metrics=("connect rate",), groupings=("hour",)),
    "connect rate by rep vs last year": Query(
        metrics=("connect rate",), groupings=("rep",), comparison=Comparison("last_year")
    ),
    "calls, demos, deals won by rep": Query(
        metrics=("calls", "demos booked", "deals won"), groupings=("rep",)
    ),
    "win rate by lead source": Query(metrics=("win rate",), groupings=("lead source",)),
    "leads by month this year": Query(
        metrics=("leads",), groupings=("month",), window=WindowSpec("this", unit="year")
    ),
}


def build(db: Path, tasks: int) -> None:
    """A synthetic org: 50 reps, ``tasks`` Tasks over two years, 1/20 as many leads and events."""
    marker = db.with_suffix(f".{tasks}.ok")
    if db.exists() and marker.exists():
        return
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    schema.create_all(con)
    span = 2 * 365 * 86400
    con.execute(
        """INSERT INTO "User" (Id, Name, CreatedDate)
           SELECT 'U' || i, 'Rep ' || i, TIMESTAMPTZ '2020-01-01' FROM range(50) t(i)"""
    )
    con.execute(
        f"""INSERT INTO "Task" (Id, OwnerId, WhoId, TaskSubtype, CallType, CallDisposition,
                                CallDurationInSeconds, CreatedDate)
        SELECT 'T' || i, 'U' || (i % 50), 'L' || (i % {max(tasks // 20, 1)}),
               CASE WHEN i % 5 = 0 THEN 'Email' ELSE 'Call' END,
               CASE WHEN i % 7 = 0 THEN 'Inbound' ELSE 'Outbound' END,
               CASE WHEN i % 3 = 0 THEN 'Connected' ELSE 'No Answer' END, i % 600,
               TIMESTAMPTZ '2022-07-01 00:00:00+00' + to_seconds(CAST(i * {span / tasks} AS BIGINT))
        FROM range({tasks}) t(i) ORDER BY 8"""
    )
    n_leads = max(tasks // 20, 1)
    n_opps = max(tasks // 100, 1)

    def spread(n: int, start: str = "2022-07-01") -> str:
        """Record i of n, spread evenly over two years from ``start``."""
        return f"TIMESTAMPTZ '{start} 00:00:00+00' + to_seconds(CAST(i * {span / n} AS BIGINT))"

    sources = "['Web', 'Partner', 'Cold Call', NULL][1 + i % 4]"
    stage = "['Closed Won', 'Closed Lost', 'Prospecting'][1 + i % 3]"
    con.execute(
        f"""INSERT INTO "Lead" (Id, OwnerId, LeadSource, Status, IsConverted, CreatedDate)
        SELECT 'L' || i, 'U' || (i % 50), {sources}, 'Open', i % 10 = 0, {spread(n_leads)}
        FROM range({n_leads}) t(i) ORDER BY 6"""
    )
    con.execute(
        f"""INSERT INTO "Opportunity" (Id, Name, OwnerId, LeadSource, StageName, Amount, CloseDate,
                                       IsClosed, IsWon, CreatedDate)
        SELECT 'O' || i, 'Deal ' || i, 'U' || (i % 50), {sources}, {stage}, 1000 + i % 90000,
               DATE '2022-07-01' + CAST(i * 730 / {n_opps} AS INTEGER), i % 3 <> 2, i % 3 = 0,
               {spread(n_opps, "2022-06-01")}
        FROM range({n_opps}) t(i) ORDER BY 7"""
    )
    con.execute(
        f"""INSERT INTO "Event" (Id, OwnerId, Type, StartDateTime, CreatedDate)
        SELECT 'E' || i, 'U' || (i % 50), ['Meeting', 'Demo', 'Other'][1 + i % 3],
               {spread(n_leads, "2022-07-03")}, {spread(n_leads)}
        FROM range({n_leads}) t(i) ORDER BY 5"""
    )
    con.execute(f"INSERT INTO {schema.META_SNAPSHOT} VALUES (now(), 'bench', now())")
    con.execute("CHECKPOINT")
    con.close()
    marker.touch()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=10_000_000)
    ap.add_argument("--db", type=Path, default=Path("/tmp/kpibot-bench.duckdb"))
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    build(args.db, args.tasks)
    con = duckdb.connect(str(args.db), read_only=True)
    catalog = cached_catalog()
    settings = OrgSettings.model_validate({"timezone": "Asia/Shanghai"})
    rows = []
    for name, q in QUESTIONS.items():
        w = resolve(q.window, "this quarter", TODAY, 1)
        cw = compare_window(q.comparison, w, TODAY, 1) if q.comparison else None
        compiled = compile_query(q, catalog)
        values = {
            **settings_params(settings),
            **window_params("cur", w, settings),
            **(window_params("prev", cw, settings) if cw else {}),
            **query_params(q, catalog, compiled),
        }
        params = {n: values[n] for n in compiled.params}
        ours: list[float] = []
        bare: list[float] = []
        for _ in range(args.runs):  # alternate, so both see the same machine load
            t = time.perf_counter()
            con.execute(compiled.sql, params).fetchall()
            bare.append((time.perf_counter() - t) * 1e3)
            t = time.perf_counter()
            run(q, catalog=catalog, settings=settings, reader=con, today=TODAY)
            ours.append((time.perf_counter() - t) * 1e3)
        b50, o50 = percentile(bare, 50), percentile(ours, 50)
        rows.append(
            (
                name,
                f"{b50:.1f}",
                f"{percentile(bare, 95):.1f}",
                f"{o50:.1f}",
                f"{percentile(ours, 95):.1f}",
                f"{(o50 - b50) / b50 * 100:+.0f}%",
            )
        )
    body = (
        f"{args.tasks:,} Tasks, {args.tasks // 20:,} Leads and Events, {args.tasks // 100:,} "
        f"Opportunities; {args.runs} runs each, ms.\n\n"
        + table(
            ["question", "bare SQL p50", "bare p95", "answer p50", "answer p95", "layers"], rows
        )
    )
    print(body)
    write_section("Metrics layer: answer time (bench/bench_ask.py)", body)


if __name__ == "__main__":
    main()
