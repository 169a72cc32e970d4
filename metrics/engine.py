"""Run a Query against the cache and return an Answer: on a DuckDB snapshot (or its cursor), or
on Spark over the snapshot's Parquet copy (metrics.spark).

>>> run(Query(metrics=("calls",)), catalog=cat, settings=OrgSettings(), reader=reader,
...     today=date(2024, 6, 27))  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from cache.snapshot import SnapshotReader
from i18n import Language
from metrics import coverage, ranking, rollups, snapshot_keys
from metrics.answer import Answer
from metrics.as_of import data_as_of
from metrics.assemble import answer_of
from metrics.catalog import Catalog
from metrics.compiler import effective_query
from metrics.params import midnight, settings_params, today_in
from metrics.prepare import Prepared, prepare
from metrics.provenance import source_notes
from metrics.query import Query
from metrics.refusals import refuse_no_rows
from metrics.scope import EVERYONE, Scope
from metrics.settings import OrgSettings
from metrics.spark import SparkReader
from metrics.watchdog import Cursor, execute


@dataclass(frozen=True)
class _Engine:
    """Where a question runs: a DuckDB cursor on the snapshot (its metadata: rollups, source
    notes, data as of; and its rows unless Spark runs them), and the Spark reader if any."""

    cur: Cursor
    duck: SnapshotReader | Cursor
    snapshot: object  # what rollups.usable keys its answer by
    spark: SparkReader | None


def _engine_of(reader: SnapshotReader | Cursor | SparkReader) -> _Engine:
    spark = reader if isinstance(reader, SparkReader) else None
    duck = reader.duck if isinstance(reader, SparkReader) else reader
    cur = duck.cursor() if isinstance(duck, SnapshotReader) else duck
    snapshot = duck.target if isinstance(duck, SnapshotReader) else cur
    return _Engine(cur, duck, snapshot, spark)


def run(
    query: Query,
    *,
    catalog: Catalog,
    settings: OrgSettings,
    reader: SnapshotReader | Cursor | SparkReader,
    today: date | None = None,
    question: str = "",
    timeout: float = 10.0,
    scope: Scope = EVERYONE,
    language: Language = Language.EN,
) -> Answer:
    """Answer ``query``: resolve windows, compile (cached by shape), run, check for no data.
    ``scope``: whose records the asker may see (row-level access, metrics.scope); ``language``:
    the reply's (restatement, headers, notes; the values stay raw)."""
    t0 = time.perf_counter()
    pinned = today is not None
    today = today or today_in(settings)
    where = _engine_of(reader)
    # a snapshot an older kpibot published has no owner keys until upgraded: not read then
    catalog = snapshot_keys.fit(catalog, where.cur, where.snapshot)
    prepared = functools.partial(
        prepare,
        catalog=catalog,
        settings=settings,
        today=today,
        pinned=pinned,
        scope=scope,
        rollups=rollups.usable(where.cur, catalog, settings.timezone, where.snapshot),
    )
    p = prepared(query)
    # this question's values (compiled.query is shared); of two groupings, the one ranked
    asked = ranking.with_ranked_dimension(effective_query(query, catalog), query, catalog)
    begins = _begins(asked, p, where, catalog, settings, today)
    t1 = time.perf_counter()
    notes = source_notes(where.cur, asked, catalog, settings.tz, language)
    ranked = ranking.fetch_ranked(
        query,
        p,
        catalog=catalog,
        fetch=lambda statement: _fetch(where, statement, timeout),
        prepare=prepared,
        lang=language,
        currency=settings.currency,
        fiscal_start_month=settings.fiscal_year_start_month,
    )
    p, rows = ranked.prepared, ranked.rows
    t2 = time.perf_counter()
    refuse_no_rows(query, catalog, p.compiled, p.window, p.grid is not None, rows)
    return answer_of(
        question,
        asked,
        p,
        rows,
        notes,
        as_of=data_as_of(where.duck, where.cur),
        on_spark=where.spark is not None,
        catalog=catalog,
        settings=settings,
        scope=scope,
        lang=language,
        today=today,
        begins=begins,
        timings=(t0, t1, t2),
        ranked=ranked,
    )


def _begins(
    asked: Query,
    p: Prepared,
    where: _Engine,
    catalog: Catalog,
    settings: OrgSettings,
    today: date,
) -> dict[str, date]:
    """When each KPI's records begin (read once per snapshot): a window before them is no 0,
    refused when the whole window lies before them (metrics.coverage)."""
    begins = coverage.kpi_begins(
        catalog,
        asked.metrics,
        where.cur,
        where.duck.target if isinstance(where.duck, SnapshotReader) else None,
        {**settings_params(settings), "now": midnight(today + timedelta(days=1), settings)},
    )
    coverage.refuse_before(catalog, asked.metrics, p.window, p.cmp_window, begins)
    return begins


def _fetch(where: _Engine, p: Prepared, timeout: float) -> list[tuple[Any, ...]]:
    if where.spark is not None:  # the same tree, rendered for Spark (metrics.dialects)
        return where.spark.execute(p.compiled.tree, p.params, timeout)
    return execute(where.cur, p.compiled.sql, p.params, timeout)
