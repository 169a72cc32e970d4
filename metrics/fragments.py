"""The catalog's SQL fragments as sqlglot trees, parsed once in DuckDB's dialect.

Catalog SQL (a metric's ``where``/``expr``, a record set's ``from``, joins and dimensions, a
time grain's ``expr`` over ``{t}``) is maintainer-written text. ``check_catalog`` parses every
fragment when the catalog loads, so a fragment that does not parse is a start-up error naming
its KPI or record set, never a question-time failure; the compiler then takes copies of the
parsed trees (``fragment``) and never parses catalog text again.

Three kinds of fragment, each parsed in its own frame so the tree is of the right type:

* an expression (``r.IsWon AND r.Amount > 0``): any ``exp.Expression``;
* a relation (``"Task"`` or ``(SELECT …)``): ``exp.Table`` or ``exp.Subquery`` aliased ``r``;
* a join clause (``LEFT JOIN "User" AS owner ON …``): ``exp.Join``.

``{t}`` (the anchor in the org zone, in grains and date parts) is parsed as the column
``__t`` and replaced by the compiler. ``$name`` is a bound parameter (``exp.Placeholder``).

>>> fragment("r.IsWon AND NOT r.IsClosed").sql("duckdb")
'r.IsWon AND NOT r.IsClosed'
"""

from __future__ import annotations

import threading
from typing import Literal

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from metrics.catalog import DimensionDef, MetricDef, RecordSetDef

Kind = Literal["expr", "relation", "join"]
DIALECT = "duckdb"  # the dialect catalog SQL is written in
T_COLUMN = "__t"  # what {t} parses as

_parsed: dict[tuple[Kind, str], exp.Expression] = {}
_lock = threading.Lock()


class FragmentError(ValueError):
    """Catalog SQL that does not parse; the message says what sqlglot saw."""


def _parse(text: str, kind: Kind) -> exp.Expression:
    body = text.strip().replace("{t}", T_COLUMN)
    try:
        if kind == "expr":
            return sqlglot.parse_one(body, read=DIALECT)  # type: ignore[return-value]
        select = sqlglot.parse_one(
            f"SELECT * FROM {body} AS r" if kind == "relation" else f"SELECT * FROM _ {body}",
            read=DIALECT,
        )
    except SqlglotError as e:
        first = str(e).strip().splitlines()[0]
        raise FragmentError(f"{text.strip()!r} does not parse: {first}") from None
    if not isinstance(select, exp.Select):
        raise FragmentError(f"{text.strip()!r} is not a {kind}")
    if kind == "relation":
        rel = select.args.get("from_") or select.args.get("from")
        if rel is None or select.args.get("joins"):
            raise FragmentError(f"{text.strip()!r} is not one table or (SELECT …)")
        return rel.this
    joins = select.args.get("joins") or []
    if len(joins) != 1 or select.args.get("where") or not joins[0].args.get("on"):
        raise FragmentError(f"{text.strip()!r} is not one JOIN … ON <condition> clause")
    return joins[0]


def fragment(text: str, kind: Kind = "expr") -> exp.Expression:
    """A fresh copy of ``text``'s tree (parsed on first use; the catalog load parses them all)."""
    key = (kind, text)
    tree = _parsed.get(key)
    if tree is None:
        tree = _parse(text, kind)
        with _lock:
            if len(_parsed) > 20000:  # generated field catalogs: bounded, reparsed if evicted
                _parsed.clear()
            _parsed[key] = tree
    return tree.copy()


def columns_of(trees: list[exp.Expression]) -> set[tuple[str, str]]:
    """(table alias, column) of every qualified column the trees mention."""
    return {(c.table, c.name) for t in trees for c in t.find_all(exp.Column) if c.table}


def _try(text: object, kind: Kind, where: str, problems: list[str]) -> None:
    if text in (None, ""):
        return
    try:
        fragment(str(text), kind)
    except FragmentError as e:
        problems.append(f"{where}: {e}")


def _metric_texts(m: MetricDef) -> list[tuple[str, object]]:
    s = m.sql
    out: list[tuple[str, object]] = [(f"sql.{k}", s.get(k)) for k in ("where", "expr")]
    for side in ("numerator", "denominator"):
        part = s.get(side)
        if isinstance(part, dict):
            out += [(f"sql.{side}.{k}", part.get(k)) for k in ("where", "expr")]
    out += [(f"unsettled.{k}", m.unsettled.get(k)) for k in ("open", "of")]
    if m.kind == "records":
        out.append(("sql.order", None))  # an ORDER BY list: checked below
        for i, f in enumerate(s.get("fields") or []):
            if isinstance(f, dict):
                out.append((f"sql.fields[{i}].sql", f.get("sql")))
    return out


def order_fragment(text: str) -> list[exp.Ordered]:
    """A records KPI's ``order`` (``r.Amount DESC, r.Name``) as ORDER BY terms."""
    tree = fragment(f"SELECT 1 ORDER BY {text}")
    order = tree.args.get("order")
    if order is None:
        raise FragmentError(f"{text!r} is not an ORDER BY list")
    return list(order.expressions)


def check_catalog(
    metrics: list[MetricDef],
    dims: list[DimensionDef],
    records: list[RecordSetDef],
    problems: list[str],
) -> None:
    """Parse every fragment of the catalog; add one problem per fragment that does not."""
    for m in metrics:
        for key, text in _metric_texts(m):
            _try(text, "expr", f"metric {m.name}: {key}", problems)
        if m.kind == "records" and m.sql.get("order"):
            try:
                order_fragment(str(m.sql["order"]))
            except (FragmentError, SqlglotError) as e:
                problems.append(f"metric {m.name}: sql.order: {e}")
    for d in dims:
        _try(d.sql.get("expr"), "expr", f"dimension {d.name}: sql.expr", problems)
    for r in records:
        where = f"records.{r.name}"
        _try(r.source, "relation", f"{where}.from", problems)
        for a in r.anchors:
            _try(a.sql, "expr", f"{where}.anchors.{a.name}", problems)
        for alias, clause in r.joins:
            _try(clause, "join", f"{where}.joins.{alias}", problems)
        for name, text in r.dimensions:
            _try(text, "expr", f"{where}.dimensions.{name}", problems)
        if r.rollup is not None:
            _try(r.rollup.rows, "expr", f"{where}.rollup.rows", problems)
        _try(r.scope, "expr", f"{where}.scope", problems)
