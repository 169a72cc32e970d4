"""When the org's records begin, and what a window reaching before them may claim.

``deals won 2024 vs 2025`` on an org whose opportunities begin on 3 Mar 2025 must not answer a
confident 0 for 2024 and a change "from 0": before its first record the org was not recording,
which is not the same as a year without wins. So each record set's **first record** is the
earliest date any of its anchors holds (opportunities: their CreatedDate and CloseDate; tasks
and events: their CreatedDate; leads: their CreatedDate; each in the org zone), read once per
snapshot (a snapshot never changes once published). A KPI's records begin when all its record
sets have begun (calls per deal: the later of tasks and opportunities). Then, per KPI and side:

* a window that ends before them has **no value** (—, never 0) and a comparison against it
  computes **no change**; a question with only such KPIs is a ``no_data`` answer saying when
  records begin;
* a window that starts before them and ends after says which days it really holds;
* a time bucket that ends before them has no value either.

Every case is said in a note (``coverage.*`` in the message catalogue).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import duckdb
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from i18n import Joined, Language, Msg, t
from metrics.answer import Column, ResolvedWindow
from metrics.buckets import bucket_end
from metrics.catalog import Catalog, RecordSetDef
from metrics.errors import NoData
from metrics.format import DateRange, format_date, format_range
from metrics.fragments import fragment
from metrics.measures import measure_of
from metrics.sqltree import DIALECT, alias, placeholders, select, tmpl

Extent = Literal["none", "partial", "full"]

_firsts: dict[tuple[object, str], date | None] = {}
_MAX_KEPT = 512


def _first_sql(rs: RecordSetDef) -> tuple[str, tuple[str, ...]]:
    """``SELECT least(min(<anchor>), …)`` over the record set: its earliest date in the org
    zone (a timestamp's earliest instant taken as that zone's date)."""
    parts: list[exp.Expression] = []
    for a in rs.anchors:
        low = tmpl("min(_a)", a=fragment(a.sql))
        parts.append(
            tmpl("CAST(timezone($tz, _m) AS DATE)", m=low) if a.type == "timestamp" else low
        )
    first = parts[0] if len(parts) == 1 else exp.Least(this=parts[0], expressions=parts[1:])
    tree = select([alias(first, "first")], fragment(rs.source, "relation"))
    return Dialect.get_or_raise(DIALECT).generate(tree, copy=False), placeholders(tree)


def first_record(
    cur: Any, rs: RecordSetDef, snapshot: object, params: Mapping[str, Any]
) -> date | None:
    """The record set's first record's date, read once per ``snapshot`` (a published snapshot's
    file; None: a bare cursor, read every time); None when it holds no records or cannot be
    read (a source table never imported)."""
    key = (snapshot, rs.name)
    if snapshot is not None and key in _firsts:
        return _firsts[key]
    sql, names = _first_sql(rs)
    try:
        row = cur.execute(sql, {n: params[n] for n in names}).fetchone()
    except (duckdb.Error, KeyError):
        row = None
    value = row[0] if row else None
    first = value if isinstance(value, date) else None
    if snapshot is not None:
        if len(_firsts) > _MAX_KEPT:
            _firsts.clear()
        _firsts[key] = first
    return first


def kpi_begins(
    catalog: Catalog, metrics: Sequence[str], cur: Any, snapshot: object, params: Mapping[str, Any]
) -> dict[str, date]:
    """Per KPI, the day its records begin (the latest first record of its record sets; a
    rollup stands for the set it rolls up). KPIs over an empty record set are left out."""
    out: dict[str, date] = {}
    for name in metrics:
        m = catalog.metric(name)
        sets = [m.records] if m.kind == "records" else [a.records for a in measure_of(m).atoms]
        firsts = []
        for rs_name in dict.fromkeys(sets):
            rs = catalog.record_set(rs_name)
            if rs.rollup is not None:
                rs = catalog.record_set(rs.rollup.of)
            firsts.append(first_record(cur, rs, snapshot, params))
        if firsts and all(f is not None for f in firsts):
            out[name] = max(f for f in firsts if f is not None)
    return out


def extent(w: ResolvedWindow | None, begins: date) -> Extent:
    """How much of ``w`` lies on or after ``begins`` (an open start, all time, holds them all)."""
    if w is None:
        return "full"
    if w.end is not None and w.end < begins:
        return "none"
    return "partial" if w.start is not None and w.start < begins else "full"


def refuse_before(
    catalog: Catalog,
    metrics: Sequence[str],
    window: ResolvedWindow,
    compare: ResolvedWindow | None,
    begins: Mapping[str, date],
) -> None:
    """A question whose every KPI has no record in any of its windows: ``no_data`` saying when
    records begin, rather than zeros."""
    if not metrics or any(m not in begins for m in metrics):
        return
    sides = [w for w in (window, compare) if w is not None]
    if all(extent(w, begins[m]) == "none" for m in metrics for w in sides):
        first = min(begins[m] for m in metrics)
        raise NoData(
            Msg.of(
                "coverage.error.before",
                metrics=Joined(tuple(catalog.term(m) for m in metrics), "comma"),
                range=DateRange(window.start, window.end),
                name=window.said or Msg.of("window.as_is", name=window.label),
                date=_DateSaid(first),
            )
        )


@dataclass(frozen=True)
class _DateSaid:
    """A date said in the reader's language ("3 Mar 2025" / "2025年3月3日")."""

    day: date

    def say(self, lang: Language) -> str:
        return format_date(self.day, lang)


def blank_before(
    rows: Sequence[tuple[Any, ...]],
    columns: Sequence[Column],
    begins: Mapping[str, date],
    window: ResolvedWindow,
    compare: ResolvedWindow | None,
    grain: str | None,
) -> tuple[tuple[Any, ...], ...]:
    """The rows with no value where a KPI's side lies wholly before its records begin (and no
    change computed against it), and a time bucket that ends before them empty too."""
    blank: dict[int, str] = {}  # column index → why: the side "metric" / "previous" / bucket
    for i, c in enumerate(columns):
        if c.metric is None or c.metric not in begins:
            continue
        b = begins[c.metric]
        cur_none = extent(window, b) == "none"
        prev_none = compare is not None and extent(compare, b) == "none"
        if (c.role == "metric" and cur_none) or (c.role == "previous" and prev_none):
            blank[i] = "all"
        elif c.role == "growth" and (cur_none or prev_none):
            blank[i] = "all"
        elif c.role in ("metric", "growth") and grain is not None and extent(window, b) != "full":
            blank[i] = "bucket"
    if not blank:
        return tuple(rows)
    j = next((k for k, c in enumerate(columns) if c.name == grain), None)

    def before(row: tuple[Any, ...], i: int) -> bool:
        if blank[i] == "all":
            return True
        key = row[j] if j is not None else None
        metric = columns[i].metric
        return (
            isinstance(key, date)
            and metric is not None
            and grain is not None
            and bucket_end(key, grain) < begins[metric]
        )

    return tuple(
        tuple(None if i in blank and before(r, i) else v for i, v in enumerate(r)) for r in rows
    )


def notes(
    catalog: Catalog,
    metrics: Sequence[str],
    begins: Mapping[str, date],
    window: ResolvedWindow,
    compare: ResolvedWindow | None,
    lang: Language,
) -> tuple[str, ...]:
    """What the answer says about windows reaching before the records: one sentence per side
    and first-record date, the KPIs it concerns named together."""
    out: list[str] = []
    for w in (window, *((compare,) if compare is not None else ())):
        by_case: dict[tuple[Extent, date], list[str]] = {}
        for m in metrics:
            if m not in begins:
                continue
            e = extent(w, begins[m])
            if e != "full":
                by_case.setdefault((e, begins[m]), []).append(m)
        for (e, b), ms in by_case.items():
            key = _key(e, compare is not None)
            names = t(lang, "list.sep").join(catalog.said(m, lang) for m in ms)
            out.append(
                t(
                    lang,
                    key,
                    metrics=names,
                    date=format_date(b, lang),
                    name=w.name(lang),
                    range=format_range(w.start, w.end, lang),
                    covered=format_range(b, w.end, lang),
                )
            )
    return tuple(dict.fromkeys(out))


def _key(e: Extent, compared: bool) -> str:
    if e == "partial":
        # a change against part of a period: said, so 1 → 313 is not read as a collapse
        return "coverage.partial_change" if compared else "coverage.partial"
    return "coverage.no_change" if compared else "coverage.before"
