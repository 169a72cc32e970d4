"""One compiled query, two engines: every catalog KPI × each of its dimensions × three windows
(one with a comparison), each KPI by one time part (all eight in turn), and 50 corpus
questions give the same rows on DuckDB and on Spark local[2] over the fixture org's Parquet
copy (cache.lake).

Spark runs the questions in batches: each question's tree is rendered for Spark with its
parameters renamed ``q<i>_<name>`` (still bound, never written into the SQL), numbered by its
own ORDER BY, and up to 30 questions are one ``UNION ALL`` job, so the suite pays Spark's
per-job cost ~18 times instead of ~535. The corpus questions go through the real path,
``metrics.engine.run`` with a ``SparkReader``.

Rows are identical: same length, order, keys and counts; dates equal; a double equal to 1e-9
relative (the two engines add doubles in a different order, so the last bits may differ).
"""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlglot import exp

from cache.connection import connect
from cache.lake import LakeTarget
from cache.snapshot import current_target
from metrics.catalog import Catalog
from metrics.catalog_load import load_catalog
from metrics.dialects import engine, rewrite
from metrics.engine import run
from metrics.errors import UserError
from metrics.prepare import Prepared, prepare
from metrics.query import Comparison, Query, WindowSpec
from metrics.settings import OrgSettings
from metrics.spark import SparkReader
from metrics.sqltree import param
from tests.corpus.loader import load as load_corpus
from tests.fixture_org import fixture_settings, load_fixture_org, load_fixture_sources

TODAY = date(2024, 6, 27)
CATALOG = load_catalog()
WINDOWS: tuple[tuple[WindowSpec | None, Comparison | None], ...] = (
    (None, None),  # the KPI's default window (this quarter; all time for open pipeline)
    (WindowSpec("last", n=12, unit="month"), None),
    (WindowSpec("this", unit="quarter"), Comparison("previous")),
)
TIME_PARTS = tuple(d.name for d in CATALOG.dimensions if d.kind in ("grain", "datepart"))
BATCH = 30


def conformance_queries(catalog: Catalog) -> list[Query]:
    out = []
    for m in catalog.metrics:
        dims = [d for d in m.dimensions if catalog.dimension(d).kind != "number"]
        groupings: list[tuple[str, ...]] = [()]
        if m.kind != "records":
            groupings += [(d,) for d in dims]
        for g in groupings:
            for window, comparison in WINDOWS:
                out.append(
                    Query(metrics=(m.name,), groupings=g, window=window, comparison=comparison)
                )
        if m.kind != "records":  # a time part each (in turn): org-zone dates, weekdays, hours
            t = TIME_PARTS[len(out) % len(TIME_PARTS)]
            out.append(
                Query(metrics=(m.name,), groupings=(t,), window=WindowSpec("this", unit="year"))
            )
    return out


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, OrgSettings]:
    db = tmp_path_factory.mktemp("conformance") / "kpibot.duckdb"
    lake = LakeTarget(str(db.parent / "lake"))  # engine: spark — each publish writes Parquet
    load_fixture_org(db, lake=lake)
    load_fixture_sources(db, lake=lake)
    return db, fixture_settings()


@pytest.fixture(scope="module")
def spark(org: tuple[Path, OrgSettings], spark_session: Any) -> SparkReader:
    reader = SparkReader(org[0], str(org[0].parent / "lake"), session=spark_session)
    reader.refresh()  # the published snapshot's views, once
    return reader


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, date):
        return a == b if isinstance(b, date) else a.isoformat() == b
    return bool(a == b)


def assert_same_rows(duck: list[tuple[Any, ...]], spark: list[list[Any]], what: str) -> None:
    assert len(duck) == len(spark), f"{what}: {len(duck)} rows on DuckDB, {len(spark)} on Spark"
    for i, (d, s) in enumerate(zip(duck, spark, strict=True)):
        assert len(d) == len(s) and all(_same(x, y) for x, y in zip(d, s, strict=True)), (
            f"{what}: row {i} differs\n  duckdb {d}\n  spark  {list(s)}"
        )


def _numbered(i: int, tree: exp.Expression) -> str:
    """Question ``i`` for Spark: parameters renamed q<i>_…, each row numbered by its ORDER BY,
    returned as (i, row number, the row as JSON with its nulls)."""
    t = rewrite(tree, "spark")
    for p in list(t.find_all(exp.Placeholder)):
        p.replace(param(f"q{i}_{p.name}"))
    order = t.args.get("order")
    rn: exp.Expression = (
        exp.Window(this=exp.RowNumber(), order=exp.Order(expressions=[o.copy() for o in order]))
        if order is not None
        else exp.Literal.number(1)
    )
    assert isinstance(t, exp.Select)
    t = t.select(exp.alias_(rn, "_rn"), copy=False)
    body = t.sql(dialect=engine("spark").dialect)
    return (
        f"SELECT {i} AS q, t._rn AS rn, "
        f"to_json(struct(t.*), map('ignoreNullFields', 'false')) AS j FROM ({body}) AS t"
    )


def _spark_batch(spark: SparkReader, batch: list[tuple[int, Prepared]]) -> dict[int, list[Any]]:
    sql = "\nUNION ALL\n".join(_numbered(i, p.compiled.tree) for i, p in batch)
    args = {f"q{i}_{k}": v for i, p in batch for k, v in p.params.items()}
    out: dict[int, list[tuple[int, list[Any]]]] = {i: [] for i, _ in batch}
    for q, rn, j in spark.session.sql(sql, args=args).collect():
        row = json.loads(j)
        row.pop("_rn")
        out[q].append((rn, list(row.values())))
    return {q: [r for _, r in sorted(rows, key=lambda x: x[0])] for q, rows in out.items()}


def test_every_kpi_dimension_and_window_gives_the_same_rows_on_spark(
    org: tuple[Path, OrgSettings], spark: SparkReader
) -> None:
    db, settings = org
    con = connect(current_target(db), read_only=True)  # type: ignore[arg-type]
    prepared: list[tuple[int, Prepared, Query]] = []
    refused = 0
    for q in conformance_queries(CATALOG):
        try:
            p = prepare(q, catalog=CATALOG, settings=settings, today=TODAY)
        except UserError:
            refused += 1  # e.g. hour of a DATE anchor: refused before any engine runs
            continue
        prepared.append((len(prepared), p, q))
    assert len(prepared) > 500 and refused < 20  # the set is what it says
    nonempty = 0
    for start in range(0, len(prepared), BATCH):
        batch = prepared[start : start + BATCH]
        got = _spark_batch(spark, [(i, p) for i, p, _ in batch])
        for i, p, q in batch:
            rows = con.execute(p.compiled.sql, p.params).fetchall()
            nonempty += bool(rows) and any(v not in (0, None) for r in rows for v in r)
            assert_same_rows(rows, got[i], repr(q))
    con.close()
    assert nonempty > len(prepared) // 2  # most answers have numbers, not only empty rows


def corpus_queries() -> list[tuple[str, Query]]:
    _, cases = load_corpus()
    return [(c.question, c.query) for c in cases if c.query is not None and c.query.metrics]


def test_fifty_corpus_questions_answer_the_same_through_the_spark_engine(
    org: tuple[Path, OrgSettings], spark: SparkReader
) -> None:
    from cache.snapshot import SnapshotReader

    db, settings = org
    duck = SnapshotReader(db)
    compared = answered = 0
    for question, q in corpus_queries():
        if compared == 50:
            break
        try:
            want = run(q, catalog=CATALOG, settings=settings, reader=duck, today=TODAY)
        except UserError as e:
            with pytest.raises(type(e)):
                run(q, catalog=CATALOG, settings=settings, reader=spark, today=TODAY)
            compared += 1
            continue
        got = run(q, catalog=CATALOG, settings=settings, reader=spark, today=TODAY)
        assert_same_rows(list(want.rows), [list(r) for r in got.rows], question)
        assert got.samples == want.samples  # the base counts beside rates and means
        assert "$" not in got.sql  # Show SQL shows what Spark ran (its markers are :name)
        compared += 1
        answered += 1
    duck.close()
    assert compared == 50 and answered >= 30
