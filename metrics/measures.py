"""A metric's SQL side, read from its catalog entry into atoms the compiler aggregates.

A metric is one atom (``count``, ``sum`` or ``avg`` over its records, with a ``where``) or a
``ratio`` of two atoms, each on its own record set and anchor if it says so (calls per deal:
outbound calls ÷ deals won). The catalog form::

    sql: {agg: count, where: r.IsWon}
    sql: {agg: sum, expr: r.Amount, where: r.IsWon}
    sql: {agg: avg, expr: r.CallDurationInSeconds / 60.0, where: …}
    sql: {agg: ratio, numerator: {where: …}, denominator: {records: opportunity, where: …}}
    sql: {…, group_by: contact attempt}   # a grouping the metric always has
    sql: {agg: ratio, …, positive_only: true}  # empty where the denominator is 0 or below
    sql: {agg: ratio, …, unrecorded: no_spend}  # no numerator rows: no value, i18n says why

A records metric (``kind: records``) lists ``fields`` of its ``where`` rows in ``order``.

A rate or a mean also counts its *base* (``sample_atoms``): the denominator of a ratio, the
records a mean averages; and a rate whose outcome is not settled yet (``unsettled:``) counts
its base records still ``open`` and those that ``of`` (could be open), so the answer can say
"62% of these leads' opportunities are still open".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from metrics.catalog import MetricDef

# "rows": the compiler's count over a rollup (sum of the records each row stands for)
Agg = Literal["count", "sum", "avg", "min", "max", "median", "rows"]
AGGS = ("count", "sum", "avg", "min", "max", "median")


@dataclass(frozen=True)
class Atom:
    records: str
    anchor: str | None  # anchor name in the record set; None = its first
    agg: Agg
    expr: str | None
    where: str | None
    # Its records can lie ahead (open pipeline by expected close): over a period still running
    # it counts to the period's last day, not to today (catalog ``future``, on the metric or on
    # one side of a ratio: pipeline coverage's open pipeline).
    future: bool = False

    @property
    def record_condition(self) -> str | None:
        """Which rows are this atom's records (what it counts, sums or averages)."""
        valued = f"({self.expr}) IS NOT NULL" if self.agg not in ("count", "sum", "rows") else None
        parts = [p for p in (self.where, valued) if p]
        return " AND ".join(f"({p})" for p in parts) or None


@dataclass(frozen=True)
class Measure:
    kind: Literal["count", "sum", "avg", "min", "max", "median", "ratio"]
    atoms: tuple[Atom, ...]  # one atom, or (numerator, denominator) for a ratio
    group_by: str | None = None
    # A ratio over a gap (pipeline coverage: pipeline ÷ (quota − won)) means nothing once the
    # gap is closed: its value is empty where the denominator is not above zero.
    positive_only: bool = False
    # A ratio whose numerator has no rows in a group (CAC of a channel with wins but no spend
    # imported) has no value rather than 0: the rows were never brought in, which is not a
    # cost of nothing. The i18n key ``unrecorded.<it>`` says why in the answer's notes.
    unrecorded: str | None = None


@dataclass(frozen=True)
class RecordField:
    name: str
    sql: str
    format: str


@dataclass(frozen=True)
class RecordList:
    where: str | None
    order: str
    n: int
    fields: tuple[RecordField, ...]


def _atom(m: MetricDef, side: dict[str, Any], default_agg: str) -> Atom:
    agg = str(side.get("agg", default_agg))
    if agg not in AGGS:
        raise ValueError(f"agg must be one of {', '.join(AGGS)} (got {agg!r})")
    expr = side.get("expr")
    if agg != "count" and not expr:
        raise ValueError(f"agg {agg} needs expr")
    where = side.get("where")
    return Atom(
        records=str(side.get("records", m.records)),
        anchor=side.get("anchor", m.anchor),
        agg=agg,  # type: ignore[arg-type]
        expr=str(expr) if expr else None,
        where=str(where) if where not in (None, "") else None,
        future=bool(side.get("future", m.future)),
    )


def measure_of(m: MetricDef) -> Measure:
    """The metric's atoms. Raises ValueError naming what is wrong with its ``sql:``."""
    s = m.sql
    if not s:
        raise ValueError("has no sql: (agg, where, expr)")
    agg = s.get("agg", "count")
    group_by = s.get("group_by")
    if agg == "ratio":
        num, den = s.get("numerator"), s.get("denominator")
        if not isinstance(num, dict) or not isinstance(den, dict):
            raise ValueError("a ratio needs numerator: and denominator: mappings")
        return Measure(
            "ratio",
            (_atom(m, num, "count"), _atom(m, den, "count")),
            group_by,
            bool(s.get("positive_only", False)),
            str(s["unrecorded"]) if s.get("unrecorded") else None,
        )
    if agg not in AGGS:
        raise ValueError(f"sql.agg must be one of {', '.join(AGGS)} or ratio (got {agg!r})")
    return Measure(agg, (_atom(m, s, agg),), group_by)


Extra = Literal["base", "open", "of"]


def _and(*conds: str | None) -> str | None:
    parts = [c for c in conds if c]
    return " AND ".join(f"({c})" for c in parts) or None


def sample_atoms(m: MetricDef, ms: Measure) -> tuple[tuple[Extra, Atom], ...]:
    """The counts an answer shows beside a rate or a mean: its base, and for an ``unsettled``
    rate the base records still open and those that could be. Counts and sums have none."""
    if ms.kind == "ratio":
        den = ms.atoms[1]
        if den.agg == "sum":
            # A sum of money (quota attainment's quota) is not a number of records: shown as
            # "records 217,000" beside the rate it read as a count, and never a small sample.
            return ()
        out: list[tuple[Extra, Atom]] = [("base", den)]
        u = m.unsettled
        if u.get("open") and u.get("of"):
            for kind in ("open", "of"):
                cond = _and(den.where, str(u[kind]))
                out.append((kind, Atom(den.records, den.anchor, "count", None, cond, den.future)))  # type: ignore[arg-type]
        return tuple(out)
    if ms.kind == "avg":
        a = ms.atoms[0]
        return (("base", Atom(a.records, a.anchor, "count", None, a.record_condition, a.future)),)
    return ()


def record_list_of(m: MetricDef) -> RecordList:
    s = m.sql
    fields = s.get("fields")
    if not isinstance(fields, list) or not fields or not s.get("order"):
        raise ValueError("a records metric needs sql.fields (name, sql, format) and sql.order")
    out = []
    for f in fields:
        if not isinstance(f, dict) or not f.get("name") or not f.get("sql"):
            raise ValueError("each of sql.fields needs name and sql")
        out.append(RecordField(str(f["name"]), str(f["sql"]), str(f.get("format", "text"))))
    return RecordList(s.get("where"), str(s["order"]), int(s.get("n", 10)), tuple(out))
