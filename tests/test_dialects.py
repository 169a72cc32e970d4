"""Per-engine renderers (metrics.dialects): each override does what its table row says, and
the SQL of every catalog entry renders for every engine and parses back (Databricks, Snowflake
and BigQuery are rendered only, never executed; Spark runs in test_engine_conformance)."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from metrics.catalog_load import load_catalog
from metrics.compiler import compile_query
from metrics.dialects import ENGINES, render
from metrics.errors import UserError
from metrics.query import Query
from metrics.sqltree import tmpl
from tests.catalog_queries import every_metric_queries, hostile_query

CATALOG = load_catalog()
TIME_PARTS = [d.name for d in CATALOG.dimensions if d.kind in ("grain", "datepart")]


def _queries() -> list[Query]:
    return every_metric_queries(CATALOG, lambda n: TIME_PARTS[n % len(TIME_PARTS)])


# The override table, one row each: DuckDB in, what the engine gets.
OVERRIDES = [
    ("spark", "timezone($tz, r.CreatedDate)", "FROM_UTC_TIMESTAMP(r.CreatedDate, :tz)"),
    ("snowflake", "timezone($tz, r.t)", "CONVERT_TIMEZONE('UTC', :tz, r.t)"),
    ("bigquery", "timezone($tz, r.t)", "datetime(r.t, @tz)"),  # BigQuery keeps the case
    # ISO weekday (Mon 1 … Sun 7); sqlglot alone gives ((DAYOFWEEK(x) % 7) + 1): Sunday 2.
    ("spark", "isodow(x)", "((DAYOFWEEK(x) + 5) % 7) + 1"),
    ("spark", "x + to_months($n)", "ADD_MONTHS(x, :n)"),
    ("spark", "x - to_months($n)", "ADD_MONTHS(x, :n * -1)"),
    ("spark", "x + to_days($n)", "DATE_ADD(x, :n)"),
    ("spark", "list_position($l, x)", "NULLIF(ARRAY_POSITION(:l, x), 0)"),
    (
        "spark",
        "list_extract($l, i)",
        "CASE WHEN i > 0 THEN ELEMENT_AT(:l, CAST(i AS INT)) END",
    ),
    ("spark", "epoch_us(t) // 900", "UNIX_MICROS(t) DIV 900"),
    ("spark", "to_timestamp(b * 900)", "TIMESTAMP_SECONDS(b * 900)"),
    ("spark", "a / b", "a / NULLIF(b, 0)"),
    ("spark", "a / NULLIF(b, 0)", "a / NULLIF(b, 0)"),  # not twice
    ("spark", "s / 3600.0", "s / CAST(3600.0 AS DOUBLE)"),  # a DOUBLE, not DECIMAL(5,1)
    ("bigquery", "a / b", "a / NULLIF(b, 0)"),
    ("duckdb", "a / b", "a / b"),  # DuckDB: x / 0 is NULL already
    ("duckdb", "timezone($tz, t)", "TIMEZONE($tz, t)"),
]


@pytest.mark.parametrize(("engine", "duck", "expected"), OVERRIDES)
def test_each_override_renders_as_its_table_says(engine: str, duck: str, expected: str) -> None:
    assert render(tmpl(duck), engine) == expected


def test_spark_numbers_iso_weekdays_monday_one_to_sunday_seven() -> None:
    # Spark's dayofweek is Sunday 1 … Saturday 7; the rewrite maps it to ISO.
    spark_dow = {"Sun": 1, "Mon": 2, "Tue": 3, "Wed": 4, "Thu": 5, "Fri": 6, "Sat": 7}
    iso = {d: ((n + 5) % 7) + 1 for d, n in spark_dow.items()}
    assert iso == {"Mon": 1, "Tue": 2, "Wed": 3, "Thu": 4, "Fri": 5, "Sat": 6, "Sun": 7}


def test_the_range_table_function_stays_a_range_on_spark() -> None:
    # sqlglot alone turns DuckDB's range(1, 6) AS k(k) into an EXPLODE Spark cannot join.
    sql = render(tmpl("(SELECT k.k FROM range(1, 6) AS k(k))"), "spark")
    assert "RANGE(1, 6) AS k(k)" in sql


def test_filter_clauses_become_conditional_aggregates_where_the_target_lacks_them() -> None:
    q = Query(metrics=("win rate",), groupings=("rep",))
    tree = compile_query(q, CATALOG).tree
    assert "FILTER(WHERE" in render(tree, "spark")
    for target in ("snowflake", "bigquery"):
        assert "FILTER(" not in render(tree, target).upper()


def test_bound_values_stay_parameters_on_every_engine() -> None:
    tree = compile_query(hostile_query(), CATALOG).tree
    markers = {"spark": ":f0", "databricks": ":f0", "snowflake": ":f0", "bigquery": "@f0"}
    for name, marker in markers.items():
        sql = render(tree, name)
        assert "DROP" not in sql and "12345" not in sql and marker in sql


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_every_catalog_entry_renders_and_parses_back(engine: str) -> None:
    dialect = ENGINES[engine].dialect
    for q in _queries():
        try:
            tree = compile_query(q, CATALOG).tree
        except UserError:
            continue  # hour of a DATE anchor: refused before any engine
        sql = render(tree, engine)
        back = sqlglot.parse_one(sql, read=dialect)
        assert isinstance(back, exp.Select), (engine, q)
        assert back.find(exp.Placeholder) is not None or "TIMEZONE" not in sql.upper()


def test_engines_have_one_registration_place() -> None:
    assert sorted(ENGINES) == ["bigquery", "databricks", "duckdb", "snowflake", "spark"]
    assert [e.name for e in ENGINES.values() if e.executes] == ["duckdb", "spark"]
