"""Asking questions on the 10M-Task demo org: each stage of the real path, against bare SQL.

    python -m bench.bench_ask [--scale 62] [--runs 20] [--quick] [--no-write]

Builds the demo org once under bench/out/ (bench/demo_db.py; reused while --scale and today
match), then asks 20 fixed questions, English and Chinese, the way `kpibot ask` does:
parse (grammar.parse with the data's filter values), metrics.engine.run (window, compile from
cache, bind, SQL, fetch), format (bot.text.answer_text). Each run also times the same SQL with
the same parameters run bare on a DuckDB cursor, alternating so both see the same machine load.
Targets (issue #3, 2 cores): text answer p95 ≤ 30 ms; our layers ≤ 30 % over bare SQL;
parse ≤ 1 ms. Writes the section "Asking questions (10M Tasks)" of docs/benchmarks.md.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

import grammar
from bench.demo_db import TODAY, TZ, bench_args, demo_db
from bench.report import percentile, publish, save_results, table
from bot import heap
from bot.text import answer_text
from cache.describe import describe_cache
from cache.snapshot import SnapshotReader
from metrics import engine
from metrics.catalog_load import cached_catalog
from metrics.fields import with_fields
from metrics.settings import OrgSettings
from metrics.values import load_values

QUESTIONS: tuple[str, ...] = (
    # lead KPIs (record set `lead`: the leads with their activity facts, cache/derived.py)
    "lead response time last 30 days",
    "lead response time by rep last quarter",
    "follow-up rate this quarter",
    "follow-up rate by lead source last 90 days",
    "lead-to-opportunity ratio by channel this year",
    "uncontacted leads by rep last 30 days",
    "线索响应时间 按渠道 本月",
    "跟进率 按销售 上季度",
    "线索转商机率 本季度",
    # opportunity KPIs
    "win rate by rep this quarter",
    "revenue won by month this year",
    "open pipeline by stage",
    "average deal size vs last year",
    "top 10 deals this year",
    "top 5 reps by revenue won this year",
    "赢单率 按线索来源 同比",
    # activity KPIs
    "calls by weekday last 31 days",
    "connect rate by hour last 30 days",
    "calls, connect rate by rep vs previous period",
    "接通率 按周日期统计 过去31天",
    # field search (docs/field-search.md), each beside a KPI question of the same shape:
    # "win rate by rep this quarter", "calls by weekday last 31 days", "open pipeline by stage"
    "average amount by rep this quarter",
    "tasks by weekday last 31 days",
    "max call duration in seconds by status last 30 days",
    "sum of amount by stage all time",
)
# The question class of each of the 20 benchmark questions (the four field-search ones after).
CLASSES = ("lead",) * 9 + ("opportunity",) * 7 + ("activity",) * 4 + ("field search",) * 4
BUDGET_S = 20.0  # per question; past it, stop once MIN_RUNS runs are in
MIN_RUNS = 5
STAGES = ("parse", "compile", "sql", "format", "answer", "bare")


class _RecordingCursor:
    """A real DuckDB cursor that keeps the last SQL and parameters it was given (to run the
    very same statement bare)."""

    def __init__(self, cur: duckdb.DuckDBPyConnection, log: list[tuple[str, Any]]):
        self._cur = cur
        self._log = log

    def execute(self, sql: str, params: Any = None) -> Any:
        self._log.append((sql, params))
        return self._cur.execute(sql, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cur, name)


class RecordingReader(SnapshotReader):
    def __init__(self, db_path: Path):
        super().__init__(db_path)
        self.log: list[tuple[str, Any]] = []

    def cursor(self) -> Any:
        return _RecordingCursor(super().cursor(), self.log)


_field_catalogs: dict[object, Any] = {}


def field_catalog(reader: SnapshotReader) -> Any:
    """The catalog plus the snapshot's fields, built once per snapshot as the bot does."""
    key = reader.target
    if key not in _field_catalogs:
        cur = reader.cursor()
        _field_catalogs[reader.target] = with_fields(
            cached_catalog(), describe_cache(cur), OrgSettings()
        )
    return _field_catalogs[reader.target]


@dataclass
class Times:
    ms: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STAGES})
    cpu: list[float] = field(default_factory=list)  # CPU ms of a whole answer


def ask_once(
    question: str, reader: RecordingReader, values: Any, settings: OrgSettings, today: date
) -> tuple[dict[str, float], float, str, Any]:
    """One answer through the real path: stage times (ms), CPU ms, the SQL and its params."""
    catalog = field_catalog(reader)
    c0, t0 = time.process_time(), time.perf_counter()
    parsed = grammar.parse(question, catalog, values)
    t1 = time.perf_counter()
    answer = engine.run(
        parsed.query, catalog=catalog, settings=settings, reader=reader, today=today,
        question=question,
    )
    t2 = time.perf_counter()
    answer_text(answer, currency=settings.currency, tz=settings.tz)
    t3 = time.perf_counter()
    cpu = (time.process_time() - c0) * 1e3
    # the answer's own statement (data_as_of is read on the same reader after it)
    sql, params = next(e for e in reversed(reader.log) if e[0] == answer.sql)
    reader.log.clear()
    stages = {
        "parse": (t1 - t0) * 1e3,
        "compile": answer.timings["compile"] * 1e3,
        "sql": answer.timings["sql"] * 1e3,
        "format": (t3 - t2) * 1e3,
        "answer": (t3 - t0) * 1e3,
    }
    return stages, cpu, sql, params


def bare_once(con: duckdb.DuckDBPyConnection, sql: str, params: Any) -> float:
    t = time.perf_counter()
    con.cursor().execute(sql, params).fetchall()
    return (time.perf_counter() - t) * 1e3


@dataclass(frozen=True)
class Asker:
    """`kpibot ask`'s real path on one snapshot, beside a bare DuckDB cursor on the same file."""

    reader: RecordingReader
    values: Any
    settings: OrgSettings
    con: duckdb.DuckDBPyConnection
    today: date

    @classmethod
    def open(cls, db: Path, today: date) -> Asker:
        reader = RecordingReader(db)
        return cls(
            reader,
            load_values(reader.cursor(), field_catalog(reader)),
            OrgSettings.model_validate({"timezone": TZ}),
            duckdb.connect(str(reader.target), read_only=True),
            today,
        )

    def warm(self, question: str) -> tuple[str, Any]:
        """Ask once and run the SQL bare once (warm caches): the statement and its params."""
        _, _, sql, params = ask_once(question, self.reader, self.values, self.settings, self.today)
        bare_once(self.con, sql, params)
        return sql, params

    def time(self, question: str, statement: tuple[str, Any], t: Times) -> None:
        """One run into ``t``: the question's statement bare, then the question answered."""
        t.ms["bare"].append(bare_once(self.con, *statement))
        stages, cpu, _, _ = ask_once(question, self.reader, self.values, self.settings, self.today)
        for k, v in stages.items():
            t.ms[k].append(v)
        t.cpu.append(cpu)


def measure(db: Path, runs: int, today: date) -> dict[str, Times]:
    asker = Asker.open(db, today)
    out: dict[str, Times] = {}
    for q in QUESTIONS:
        statement = asker.warm(q)
        heap.settle(asker.reader.target)  # as `kpibot ask -` after its first answer (once)
        t = out[q] = Times()
        budget = time.perf_counter() + BUDGET_S
        for i in range(runs):
            if i >= MIN_RUNS and time.perf_counter() > budget:
                break  # a multi-second question: fewer runs keep the whole bench to minutes
            asker.time(q, statement, t)
    asker.con.close()
    return out


def report(results: dict[str, Times], runs: int, scale: float, seconds: float) -> str:
    rows = []
    misses = []
    for q, t in results.items():
        q = f"{q} ({len(t.cpu)} runs)" if len(t.cpu) < runs else q
        p = {s: (percentile(t.ms[s], 50), percentile(t.ms[s], 95)) for s in STAGES}
        overhead = (p["answer"][0] - p["bare"][0]) / p["bare"][0] * 100
        rows.append(
            (
                q,
                f"{p['parse'][0]:.2f} / {p['parse'][1]:.2f}",
                f"{p['compile'][0]:.2f} / {p['compile'][1]:.2f}",
                f"{p['sql'][0]:.1f} / {p['sql'][1]:.1f}",
                f"{p['format'][0]:.2f} / {p['format'][1]:.2f}",
                f"{p['answer'][0]:.1f} / **{p['answer'][1]:.1f}**",
                f"{percentile(t.cpu, 50):.1f}",
                f"{p['bare'][0]:.1f} / {p['bare'][1]:.1f}",
                f"{overhead:+.0f}%",
            )
        )
        why = []
        if p["answer"][1] > 30:
            cause = "the SQL itself" if p["bare"][1] > 30 * 0.8 else "our layers"
            why.append(f"answer p95 {p['answer'][1]:.0f} ms > 30 ({cause}: bare p95 "
                       f"{p['bare'][1]:.0f} ms)")
        if overhead > 30:
            why.append(f"layers {overhead:+.0f}% over bare SQL")
        if p["parse"][1] > 1:
            why.append(f"parse p95 {p['parse'][1]:.2f} ms > 1")
        if why:
            misses.append(f"- `{q}`: " + "; ".join(why))
    every = [v for t in results.values() for v in t.ms["answer"]]
    parse_all = [v for t in results.values() for v in t.ms["parse"]]
    load = os.getloadavg()
    body = (
        f"Demo org at --scale {scale:g} (`bench/demo_db.py`, today {TODAY}), {runs} runs of each "
        f"question after one warm-up (at least {MIN_RUNS}, fewer past {BUDGET_S:g} s a "
        "question); ms as p50 / p95. `answer` = parse + compile + sql + "
        "format, the text `kpibot ask` prints; `CPU` is the process CPU time of one answer "
        "(p50), which machine load does not inflate; `bare` is the same SQL with the same "
        "parameters on a plain DuckDB cursor; `layers` compares the answer's p50 with bare "
        f"p50. Load average after the run: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on "
        f"{os.cpu_count()} cores; {seconds:.0f} s in all.\n\n"
        + table(
            ["question", "parse", "compile", "sql", "format", "answer", "CPU", "bare SQL",
             "layers"],
            rows,
        )
        + f"\n\nAll questions: answer p50 {percentile(every, 50):.1f} ms, p95 "
        f"{percentile(every, 95):.1f} ms; parse p95 {percentile(parse_all, 95):.2f} ms. "
        "Targets: answer p95 ≤ 30 ms, layers ≤ +30 %, parse ≤ 1 ms. "
        + _cpu_line(results)
        + "\n\n"
        + ("Missed:\n" + "\n".join(misses) if misses else "Every question meets the targets.")
    )
    return body


def _cpu_line(results: dict[str, Times]) -> str:
    """The answers' own work, which the other jobs on the cores do not inflate."""
    cpu = {q: percentile(t.cpu, 50) for q, t in results.items()}
    within = sum(v <= 30 for v in cpu.values())
    worst = max(cpu, key=lambda q: cpu[q])
    return (
        f"CPU time of an answer (p50) ≤ 30 ms for {within} of {len(cpu)} questions; the most "
        f"is {cpu[worst]:.0f} ms (`{worst}`)."
    )


def summary(results: dict[str, Times]) -> dict[str, Any]:
    """Per question: its class, answer p50/p95, CPU p50, bare SQL p50/p95 (ms)."""
    return {
        "questions": {
            q: {
                "class": CLASSES[i] if i < len(CLASSES) else "other",
                "p50": percentile(t.ms["answer"], 50),
                "p95": percentile(t.ms["answer"], 95),
                "cpu": percentile(t.cpu, 50),
                "bare50": percentile(t.ms["bare"], 50),
                "bare95": percentile(t.ms["bare"], 95),
                "parse95": percentile(t.ms["parse"], 95),
            }
            for i, (q, t) in enumerate(results.items())
        }
    }


def main() -> None:
    scale, runs, write = bench_args(__doc__ or "", 20, 3)
    db = demo_db(scale, TODAY)
    started = time.perf_counter()
    results = measure(db, runs, TODAY)
    body = report(results, runs, scale, time.perf_counter() - started)
    save_results("ask", scale, summary(results))
    publish("Asking questions (10M Tasks)", body, write)


if __name__ == "__main__":
    main()
