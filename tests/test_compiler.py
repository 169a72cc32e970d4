"""The compiler and the catalog's SQL side: every metric plans, transpiles, binds user values,
and a KPI added in YAML is askable with no code change. Compiled SQL is snapshotted in
tests/snapshots/sql/ (KPIBOT_UPDATE_SNAPSHOTS=1 rewrites the files)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
import sqlglot

from cache.snapshot import SnapshotReader
from metrics.catalog_load import load_catalog
from metrics.compiler import compile_query
from metrics.engine import run
from metrics.errors import ConfigError
from metrics.query import Comparison, Filter, Query, WindowSpec
from metrics.validate import sql_problems, validate_catalog
from tests.catalog_queries import every_metric_queries, hostile_query
from tests.fixture_org import fixture_settings, load_fixture_org

SNAPSHOTS = Path(__file__).parent / "snapshots" / "sql"
CATALOG = load_catalog()


def test_every_metric_plans_on_an_empty_cache() -> None:
    assert sql_problems(CATALOG) == []


@pytest.mark.parametrize(
    "query",
    every_metric_queries(CATALOG, lambda _: "month"),
    ids=lambda q: f"{q.metrics[0]}|{','.join(q.groupings)}|{bool(q.comparison)}",
)
def test_every_metric_transpiles_to_postgres(query: Query) -> None:
    sql = compile_query(query, CATALOG).sql
    (out,) = sqlglot.transpile(sql, read="duckdb", write="postgres")
    assert out.upper().startswith(("WITH", "SELECT"))


def test_bucket_comparisons_transpile() -> None:
    q = Query(
        metrics=("revenue won", "win rate"),
        groupings=("rep", "quarter"),
        comparison=Comparison("last_year"),
    )
    c = compile_query(q, CATALOG, bucket_shift="months")
    assert "bucket_shift" in c.params
    sqlglot.transpile(c.sql, read="duckdb", write="postgres")


def test_user_values_are_bound_never_written_into_sql() -> None:
    c = compile_query(hostile_query(), CATALOG)
    assert "DROP" not in c.sql and "12345" not in c.sql and "7" not in c.sql.split("LIMIT")[-1]
    assert {"f0", "mf0", "rank_n"} <= set(c.params)


def test_compiled_templates_are_cached_by_shape() -> None:
    a = compile_query(Query(metrics=("calls",), filters=(Filter("rep", "in", ("A",)),)), CATALOG)
    b = compile_query(Query(metrics=("calls",), filters=(Filter("rep", "in", ("B",)),)), CATALOG)
    assert a is b


def test_only_the_joins_a_query_needs() -> None:
    assert "JOIN" not in compile_query(Query(metrics=("calls",)), CATALOG).sql
    assert '"User"' in compile_query(Query(metrics=("calls",), groupings=("rep",)), CATALOG).sql


def _scope_selects(sql: str) -> list[sqlglot.exp.Select]:
    """The SELECTs whose own WHERE holds the row-level owner filter."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    return [
        s
        for s in tree.find_all(sqlglot.exp.Select)
        if s.args.get("where") is not None
        and any(
            isinstance(i, sqlglot.exp.In) and i.this.sql() == "r.OwnerId"
            for i in s.args["where"].find_all(sqlglot.exp.In)
            if i.find_ancestor(sqlglot.exp.Select) is s
        )
    ]


def test_the_owner_filter_tests_owners_not_records_when_grouped_by_them() -> None:
    # By rep, records are first counted per OwnerId (then named): the filter keeps those few
    # hundred counts instead of testing every record; by lead source it tests the records.
    by_rep = compile_query(Query(metrics=("leads",), groupings=("rep",)), CATALOG, scoped=True)
    (outer,) = _scope_selects(by_rep.sql)
    assert isinstance(outer.args["from_"].this, sqlglot.exp.Subquery)  # over the counts
    by_source = Query(metrics=("leads",), groupings=("lead source",))
    (inner,) = _scope_selects(compile_query(by_source, CATALOG, scoped=True).sql)
    assert inner.args["from_"].this.name == "_kpibot_lead_facts"  # over the records


def test_catalog_problems_are_reported_all_at_once(tmp_path: Path) -> None:
    extra = tmp_path / "kpis.yaml"
    extra.write_text(
        """
metrics:
  - {name: broken one, records: task, format: count, better: higher, dimensions: [rep],
     sql: {agg: mode, expr: r.X}}
  - {name: broken two, records: nowhere, format: count, better: higher, dimensions: []}
  - {name: broken three, records: task, format: count, better: higher, dimensions: [stage],
     sql: {agg: count}}
""",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as e:
        load_catalog(extra)
    text = "\n".join(e.value.problems)
    assert "broken one" in text and "mode" in text  # median is an aggregate now (field search)
    assert "broken two" in text and "nowhere" in text
    assert "broken three" in text and "stage" in text


def test_bad_sql_is_caught_by_the_dry_run(tmp_path: Path) -> None:
    extra = tmp_path / "kpis.yaml"
    extra.write_text(
        """
metrics:
  - {name: typo kpi, records: task, format: count, better: higher, dimensions: [rep],
     sql: {agg: count, where: r.CallTyp = 'Inbound'}}
  - {name: typo sum, records: opportunity, format: currency, better: higher, dimensions: [],
     sql: {agg: sum, expr: r.Amnt}}
""",
        encoding="utf-8",
    )
    cat = load_catalog(extra)
    with pytest.raises(ConfigError) as e:
        validate_catalog(cat)
    text = "\n".join(e.value.problems)
    assert "typo kpi" in text and "typo kpi by rep" in text and "typo sum" in text


def test_a_kpi_added_in_yaml_is_askable(tmp_path: Path) -> None:
    extra = tmp_path / "kpis.yaml"
    extra.write_text(
        """
metrics:
  - name: inbound calls
    synonyms: [incoming calls]
    zh: [呼入电话]
    records: task
    format: count
    better: higher
    dimensions: [rep, disposition]
    sql: {agg: count, where: "r.TaskSubtype = 'Call' AND r.CallType = 'Inbound'"}
  - name: won share of revenue over 40k
    records: opportunity
    format: percent
    better: higher
    dimensions: [rep]
    sql: {agg: ratio, numerator: {agg: sum, expr: r.Amount, where: r.IsWon AND r.Amount > 40000},
          denominator: {agg: sum, expr: r.Amount, where: r.IsWon}}
""",
        encoding="utf-8",
    )
    cat = load_catalog(extra)
    validate_catalog(cat)
    db = load_fixture_org(tmp_path / "k.duckdb")
    reader = SnapshotReader(db)
    try:
        a = run(
            Query(metrics=("inbound calls", "won share of revenue over 40k")),
            catalog=cat,
            settings=fixture_settings(),
            reader=reader,
            today=date(2024, 6, 27),
        )
        # inbound: T04 only; revenue over 40k: O1 50000 + O5 80000 + O11 50000 of 180000 → 1.0
        assert a.rows == ((1, 1.0),)
        a = run(
            Query(metrics=("won share of revenue over 40k",), window=WindowSpec("year", year=2023)),
            catalog=cat,
            settings=fixture_settings(),
            reader=reader,
            today=date(2024, 6, 27),
        )
        # 2023: O10 25000 won → 0 / 25000
        assert a.rows == ((0.0,),)
    finally:
        reader.close()


SNAPSHOT_QUERIES = {
    "connect_rate_by_weekday": Query(metrics=("connect rate",), groupings=("weekday",)),
    "several_kpis_by_rep": Query(
        metrics=("calls", "connect rate", "demos booked", "deals won"), groupings=("rep",)
    ),
    "win_rate_by_lead_source_vs_last_year": Query(
        metrics=("win rate",), groupings=("lead source",), comparison=Comparison("last_year")
    ),
    "lead_response_time_inbound": Query(
        metrics=("lead response time",), filters=(Filter("channel", "in", ("inbound",)),)
    ),
    "follow_up_rate_by_attempt": Query(metrics=("follow-up rate by attempt",)),
    "time_in_stage_by_stage": Query(metrics=("time in stage",), groupings=("stage",)),
    "top_deals": Query(metrics=("top deals",)),
    "revenue_by_quarter": Query(metrics=("revenue won",), groupings=("quarter",)),
}


@pytest.mark.parametrize("name", sorted(SNAPSHOT_QUERIES))
def test_sql_snapshots(name: str) -> None:
    sql = compile_query(SNAPSHOT_QUERIES[name], CATALOG).sql
    pretty = sqlglot.transpile(sql, read="duckdb", write="duckdb", pretty=True)[0] + "\n"
    path = SNAPSHOTS / f"{name}.sql"
    if os.environ.get("KPIBOT_UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"-- {SNAPSHOT_QUERIES[name]!r}\n" + pretty, encoding="utf-8")
    assert path.exists(), f"{path} is missing; run with KPIBOT_UPDATE_SNAPSHOTS=1 to write it"
    expected = path.read_text(encoding="utf-8").split("\n", 1)[1]
    assert pretty == expected, (
        f"{path} changed; rerun with KPIBOT_UPDATE_SNAPSHOTS=1 and review the diff"
    )


@pytest.mark.parametrize(
    ("grouping", "spec", "kind", "expected"),
    [
        ("month", WindowSpec("this", unit="year"), "last_year", ("months", 12)),
        ("quarter", WindowSpec("last", n=4, unit="quarter"), "previous", ("months", 12)),
        ("week", WindowSpec("last", n=4, unit="week"), "last_year", ("days", 364)),
        ("day", WindowSpec("last", n=31, unit="day"), "previous", ("days", 31)),
        (
            "week",
            WindowSpec("last", n=10, unit="day"),
            "previous",
            None,
        ),  # 10 days: not whole weeks
        ("month", WindowSpec("last", n=31, unit="day"), "previous", None),  # 27 May vs 26 Apr
        ("quarter", WindowSpec("this", unit="month"), "previous", None),  # a month apart
    ],
)
def test_bucket_shift(grouping: str, spec: WindowSpec, kind: str, expected: object) -> None:
    from metrics.prepare import bucket_shift
    from metrics.windows import compare_window, resolve

    today = date(2024, 6, 27)
    cur = resolve(spec, "this quarter", today, 1)
    prev = compare_window(Comparison(kind), cur, today, 1)  # type: ignore[arg-type]
    q = Query(metrics=("calls",), groupings=(grouping,), window=spec, comparison=Comparison(kind))  # type: ignore[arg-type]
    assert bucket_shift(q, CATALOG, cur, prev) == expected
