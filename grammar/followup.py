"""Follow-ups: a fragment ("by lead source", "and last quarter?", "only 温家豪", "同比",
"上个月呢") read against the question before it, and any Query written back as a keyword
question.

``merge`` is pure: the previous question's text and the fragment in, the merged question's text
out, in the spec's keyword form, so that it can be stored (a Slack thread's state), shown and
asked again. A fragment that names a KPI or a dashboard is a full question and starts afresh.

>>> # merge("calls by rep last month", "and last quarter?", parser) == "calls by rep last quarter"
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from grammar.parser import Parser
from metrics.query import Comparison, Filter, Query, WindowSpec

_OPS = {"gt": ">", "ge": ">=", "lt": "<", "le": "<=", "eq": "="}
_MONTHS = "january february march april may june july august september october november december"


def merge(previous: str, fragment: str, parser: Parser) -> str:
    """The question ``fragment`` asks after ``previous``. Raises the parser's UserError when
    either cannot be read."""
    if parser.intent(fragment) is not None:
        return fragment
    before = parser.parse(previous).query
    frag = parser.parse(fragment, context=before.metrics).query
    if frag.metrics or frag.dashboard:
        return fragment  # a full question starts afresh
    return keyword_text(combine(before, frag))


def combine(before: Query, frag: Query) -> Query:
    """What the fragment says replaces what the question before said about the same thing:
    the window, the comparison, the chart, the ranking, the sort, the groupings, the date
    field counted on, and the filters on the dimensions it names; the rest is kept."""
    named = {f.dimension for f in frag.filters}
    return replace(
        before,
        groupings=frag.groupings or before.groupings,
        window=frag.window or before.window,
        filters=tuple(f for f in before.filters if f.dimension not in named) + frag.filters,
        metric_filters=frag.metric_filters or before.metric_filters,
        ranking=frag.ranking or before.ranking,
        sort=frag.sort or before.sort,
        comparison=frag.comparison or before.comparison,
        chart=frag.chart or before.chart,
        anchor=frag.anchor or before.anchor,
    )


# ---- a Query as a keyword question -----------------------------------------------------------


def _day(d: date | None) -> str:
    return d.isoformat() if d else ""


def window_text(w: WindowSpec) -> str:
    k = w.kind
    if k in ("today", "yesterday"):
        return k
    if k == "all":
        return "all time"
    if k in ("last", "next") and w.n is not None:
        return f"{k} {w.n} {w.unit}s"
    if k in ("previous", "this", "next"):
        return f"{'last' if k == 'previous' else k} {w.unit}"
    if k == "year":
        return str(w.year)
    if k == "quarter":
        return f"Q{w.number}" + (f" {w.year}" if w.year else "")
    if k == "month":
        if w.year is None:
            return _MONTHS.split()[(w.number or 1) - 1]
        return f"{w.year}-{w.number:02d}"
    if k in ("since", "after"):
        return f"{k} {_day(w.start)}"
    if k == "before":
        return f"before {_day(w.end)}"
    return f"between {_day(w.start)} and {_day(w.end)}"


def _quoted(v: object) -> str:
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else str(v)
    return '"' + str(v).replace('"', "") + '"'


def _filter_text(f: Filter) -> str:
    if f.op in _OPS:
        return f"{f.dimension} {_OPS[f.op]} {_quoted(f.values[0])}"
    op = "=" if f.op == "in" else "!="
    return f"{f.dimension} {op} " + ", ".join(_quoted(v) for v in f.values)


def _comparison_text(c: Comparison) -> str:
    if c.kind == "previous":
        return f"vs previous {c.unit or 'period'}"
    if c.kind == "last_year":
        return "vs last year"
    assert c.window is not None
    return "vs " + window_text(c.window) + (" in full" if c.full else "")


def keyword_text(q: Query) -> str:
    """The Query in the spec's keyword form; the parser reads it back as the same Query."""
    parts: list[str] = []
    if q.dashboard is not None:
        parts.append(f"{q.dashboard} dashboard")
    if q.ranking is not None and q.ranking.dimension is None:
        parts.append(f"{q.ranking.direction} {q.ranking.n}")
    parts += [", ".join(q.metrics)] if q.metrics else []
    if q.ranking is not None and q.ranking.metric is not None:
        parts.append(f"ranked by {q.ranking.metric}")
    parts += [f"by {g}" for g in q.groupings]
    if q.ranking is not None and q.ranking.dimension is not None:
        # of two groupings, the one ranked: "… by lead source by rep top 5 rep"
        parts.append(f"{q.ranking.direction} {q.ranking.n} {q.ranking.dimension}")
    parts += [q.anchor] if q.anchor else []  # a date field named bare: counted on, not grouped
    parts += [_filter_text(f) for f in q.filters]
    parts += [f"{m.metric} {_OPS[m.op]} {_quoted(m.value)}" for m in q.metric_filters]
    if q.window is not None:
        parts.append(window_text(q.window))
    if q.sort is not None:
        parts.append(f"sort by {q.sort.key} {'desc' if q.sort.descending else 'asc'}")
    if q.comparison is not None:
        parts.append(_comparison_text(q.comparison))
    if q.chart is not None:
        parts.append(f"as {q.chart}")
    return " ".join(p for p in parts if p)
