"""Per-engine renderers: one compiled tree, rendered as SQL each engine runs with the same rows.

An engine is a sqlglot dialect plus a short table of overrides: tree rewrites for what sqlglot
does not translate the way our SQL means it. The compiler's tree is DuckDB (the embedded
default); the overrides name the DuckDB construct, what it means, and the rewrite:

================  ==========================================  ================================
override          DuckDB (what it means)                      rewritten as
================  ==========================================  ================================
org_zone          ``timezone($tz, ts)``: a UTC instant's      Spark: ``from_utc_timestamp``;
                  wall time in the org zone                   Snowflake ``CONVERT_TIMEZONE``;
                                                              BigQuery ``DATETIME(ts, tz)``
iso_weekday       ``isodow(x)``: Monday 1 … Sunday 7          Spark ``(dayofweek(x) + 5) % 7
                                                              + 1`` (sqlglot issue 8021)
month_day_shift   ``x ± to_months(n)`` / ``to_days(n)``       ``DateAdd``/``DateSub`` by unit
list_position     ``list_position(l, x)``: NULL if absent     Spark ``NULLIF(array_position,
                                                              0)`` (Spark says 0)
list_extract      ``list_extract(l, i)``: NULL for a NULL or  Spark ``CASE WHEN i > 0 THEN
                  0 index                                     element_at(l, CAST(i AS INT))
                                                              END``
epoch_buckets     ``epoch_us(ts)``, ``to_timestamp(s)``       Spark ``unix_micros``,
                                                              ``timestamp_seconds``
range_table       ``range(a, b) AS k(k)`` table function      Spark's own ``range(a, b)``
double_literals   ``3600.0`` is a DOUBLE                      Spark ``CAST(3600.0 AS DOUBLE)``
                                                              (else an exact DECIMAL)
safe_division     ``a / b``: NULL when b is 0                 ``a / NULLIF(b, 0)`` (ANSI
                                                              engines raise on 0)
================  ==========================================  ================================

``GROUP BY 1, 2`` and ``agg FILTER (WHERE …)``: every registered engine but BigQuery and
Snowflake takes them as written; for those two sqlglot's own generator already rewrites
``FILTER`` as ``COUNTIF``/``IF(…)`` inside the aggregate (tests/test_dialects.py checks it),
and ordinals are accepted by all five, so neither needs an override (``GROUP BY ALL`` is never
emitted).

Engines are registered in ``ENGINES`` (the one registration place).

>>> from metrics.sqltree import tmpl
>>> render(tmpl("timezone($tz, r.CreatedDate)"), "spark")
'FROM_UTC_TIMESTAMP(r.CreatedDate, :tz)'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlglot import exp

from metrics.sqltree import DIALECT, tmpl

Override = Callable[[exp.Expression], exp.Expression]


def _fn(node: exp.Expression, name: str) -> bool:
    return isinstance(node, exp.Anonymous) and str(node.this).upper() == name


# -- the overrides ---------------------------------------------------------------------------------


def _org_zone(target: str) -> Override:
    """``timezone(tz, ts)`` (DuckDB: a TIMESTAMPTZ's wall time in tz) in two steps: the stored
    instant is read as UTC, then shifted to the org zone by the target's own function."""

    def rewrite(node: exp.Expression) -> exp.Expression:
        if not (_fn(node, "TIMEZONE") and len(node.expressions) == 2):
            return node
        tz, ts = node.expressions
        if target == "spark":
            return exp.Anonymous(this="from_utc_timestamp", expressions=[ts, tz])
        if target == "snowflake":
            utc = exp.Literal.string("UTC")
            return exp.Anonymous(this="convert_timezone", expressions=[utc, tz, ts])
        return exp.Anonymous(this="datetime", expressions=[ts, tz])  # BigQuery

    return rewrite


def _iso_weekday(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.DayOfWeekIso):
        return tmpl("((dayofweek(_x) + 5) % 7) + 1", x=node.this)
    return node


def _month_day_shift(node: exp.Expression) -> exp.Expression:
    """``x + to_months(n)`` → DateAdd(x, n, MONTH); ``x - to_days(n)`` → DateSub(x, n, DAY)."""
    if not isinstance(node, exp.Add | exp.Sub):
        return node
    right = node.expression
    unit = None
    if isinstance(right, exp.ToDays):
        unit = "DAY"
    elif _fn(right, "TO_MONTHS") or type(right).__name__ == "ToMonths":
        unit = "MONTH"
    if unit is None:
        return node
    amount = right.this if not isinstance(right, exp.Anonymous) else right.expressions[0]
    kind = exp.DateAdd if isinstance(node, exp.Add) else exp.DateSub
    return kind(this=node.this, expression=amount, unit=exp.var(unit))


def _list_position(node: exp.Expression) -> exp.Expression:
    if _fn(node, "LIST_POSITION"):
        lst, x = node.expressions
        return tmpl("NULLIF(array_position(_l, _x), 0)", l=lst, x=x)
    return node


def _list_extract(node: exp.Expression) -> exp.Expression:
    """Guarded, because Spark 4.0's ``element_at`` with a NULL index returns another row's
    element (measured: a lead without a source came out "partner", not "other")."""
    if _fn(node, "LIST_EXTRACT"):
        lst, i = node.expressions
        at = exp.Anonymous(
            this="element_at", expressions=[lst, tmpl("CAST(_i AS INT)", i=i.copy())]
        )
        return tmpl("CASE WHEN _i > 0 THEN _at END", i=i, at=at)
    return node


def _epoch_buckets(node: exp.Expression) -> exp.Expression:
    if _fn(node, "EPOCH_US"):
        return exp.Anonymous(this="unix_micros", expressions=list(node.expressions))
    if isinstance(node, exp.UnixToTime) and node.args.get("scale") is None:
        return exp.Anonymous(this="timestamp_seconds", expressions=[node.this])
    return node


def _range_table(node: exp.Expression) -> exp.Expression:
    if (
        isinstance(node, exp.Table)
        and isinstance(node.this, exp.GenerateSeries)
        and node.this.args.get("is_end_exclusive")
    ):
        series = node.this
        call = exp.Anonymous(this="range", expressions=[series.args["start"], series.args["end"]])
        return exp.Table(this=call, alias=node.args.get("alias"))
    return node


def _double_literals(node: exp.Expression) -> exp.Expression:
    """``3600.0`` is a DOUBLE in DuckDB but an exact DECIMAL(5,1) in Spark: keep it a DOUBLE,
    so ``seconds / 3600.0`` gives the same digits on both."""
    if (
        isinstance(node, exp.Literal)
        and node.is_number
        and any(c in node.this for c in ".eE")
        and not isinstance(node.parent, exp.Cast)
    ):
        return exp.Cast(this=node.copy(), to=exp.DataType.build("DOUBLE"))
    return node


def _safe_division(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Div) and not isinstance(node.expression, exp.Nullif):
        den = node.expression
        lit = den.this if isinstance(den, exp.Cast) else den
        if isinstance(lit, exp.Literal) and lit.is_number and float(lit.this) != 0:
            return node  # a constant: never 0
        return exp.Div(
            this=node.this,
            expression=tmpl("NULLIF(_d, 0)", d=den),
            typed=node.args.get("typed"),
            safe=node.args.get("safe"),
        )
    return node


# -- the engines -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Engine:
    """A target: its sqlglot dialect and the overrides applied, in order, before rendering."""

    name: str
    dialect: str
    overrides: tuple[tuple[str, Override], ...] = ()
    executes: bool = False  # kpibot runs questions on it (the others are rendered only)


_SPARK = (
    ("org_zone", _org_zone("spark")),
    ("iso_weekday", _iso_weekday),
    ("month_day_shift", _month_day_shift),
    ("list_position", _list_position),
    ("list_extract", _list_extract),
    ("epoch_buckets", _epoch_buckets),
    ("range_table", _range_table),
    ("double_literals", _double_literals),
    ("safe_division", _safe_division),
)

ENGINES: dict[str, Engine] = {
    e.name: e
    for e in (
        Engine("duckdb", DIALECT, (), executes=True),
        Engine("spark", "spark", _SPARK, executes=True),
        Engine("databricks", "databricks", _SPARK),
        Engine(
            "snowflake",
            "snowflake",
            (
                ("org_zone", _org_zone("snowflake")),
                ("month_day_shift", _month_day_shift),
                ("safe_division", _safe_division),
            ),
        ),
        Engine(
            "bigquery",
            "bigquery",
            (
                ("org_zone", _org_zone("bigquery")),
                ("month_day_shift", _month_day_shift),
                ("safe_division", _safe_division),
            ),
        ),
    )
}


def engine(name: str) -> Engine:
    try:
        return ENGINES[name]
    except KeyError:
        raise ValueError(f"engine {name!r} is not one of {', '.join(sorted(ENGINES))}") from None


def _bottom_up(tree: exp.Expression, override: Override) -> exp.Expression:
    """Apply ``override`` to every node, children first (a rewritten node's parts are done)."""
    for node in reversed(list(tree.walk(bfs=False))):
        new = override(node)  # type: ignore[arg-type]
        if new is not node:
            if node is tree:
                return new
            node.replace(new)
    return tree


def rewrite(tree: exp.Expression, name: str) -> exp.Expression:
    """A copy of ``tree`` with ``name``'s overrides applied (the compiled tree is shared)."""
    out = tree.copy()
    for _, override in engine(name).overrides:
        out = _bottom_up(out, override)
    return out


def render(tree: exp.Expression, name: str, *, pretty: bool = False) -> str:
    """``tree`` as SQL for engine ``name``; bound parameters stay parameters."""
    e = engine(name)
    return rewrite(tree, name).sql(dialect=e.dialect, pretty=pretty)


__all__ = ["ENGINES", "Engine", "engine", "render", "rewrite"]
