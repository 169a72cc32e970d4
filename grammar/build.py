"""Parse tree (question.lark) → metrics.query.Query, with the checks that need the whole question:
two windows, top and bottom, bare values of several dimensions, defaults that follow from it.

Each clause kind has one handler in ``_HANDLERS``; handlers fill a mutable ``_Draft`` that is
frozen into a Query at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, cast

from lark import Token, Tree

from grammar import messages
from grammar.normalize import normalize
from grammar.tokens import Tok
from grammar.vocabulary import Meaning
from i18n import Msg
from metrics.catalog import Catalog
from metrics.query import (
    Comparison,
    Filter,
    MetricFilter,
    Query,
    Ranking,
    Sort,
    Unit,
    WindowSpec,
)


@dataclass
class _BareValue:
    tok: Tok
    op: str  # "in" | "not_in"


@dataclass
class _Draft:
    toks: list[Tok]
    catalog: Catalog
    text: str
    metrics: list[str] = field(default_factory=list)
    groupings: list[str] = field(default_factory=list)
    windows: list[tuple[str, WindowSpec]] = field(default_factory=list)
    filters: list[tuple[str, str, tuple[Any, ...]]] = field(default_factory=list)
    bare: list[_BareValue] = field(default_factory=list)
    metric_filters: list[MetricFilter] = field(default_factory=list)
    rankings: list[tuple[str, Ranking]] = field(default_factory=list)
    ranked_by: str | None = None
    sorts: list[tuple[str, str | None, bool | None]] = field(default_factory=list)
    comparisons: list[tuple[str, Comparison]] = field(default_factory=list)
    charts: list[tuple[str, str]] = field(default_factory=list)
    dashboards: list[tuple[str, str]] = field(default_factory=list)
    # Date fields named ("by close date", "created"): (text, date dimension, grouped by it).
    dates: list[tuple[str, str, bool]] = field(default_factory=list)
    side_by_side: bool = False
    context: tuple[str, ...] | None = None  # a follow-up's previous KPIs
    after: str = ""  # the clause before the one being read ("top": "top 5 reps" names reps)
    ranked_dimension: str | None = None  # the grouping a ranking names ("top 5 reps")

    def tok(self, t: Any) -> Tok:
        """Our token behind a Lark token (its start_pos is the index in our token list)."""
        assert isinstance(t, Token)
        return self.toks[t.start_pos or 0]

    def add_metric(self, name: str) -> None:
        if name not in self.metrics:
            self.metrics.append(name)

    def add_grouping(self, name: str) -> None:
        if name not in self.groupings:
            self.groupings.append(name)


def _text(node: Tree | Token) -> str:
    if isinstance(node, Token):
        return str(node)
    return " ".join(_text(c) for c in node.children if c is not None)


# ---- numbers and windows --------------------------------------------------------------------


def _count(d: _Draft, t: Any) -> int:
    v = d.tok(t).value
    if not isinstance(v, float) or v != int(v) or v < 1 or v > 100_000:
        raise messages.bad_number(str(t))
    return int(v)


def _unit(d: _Draft, t: Any) -> Unit:
    return cast(Unit, str(d.tok(t).value))  # keywords.yaml's unit payloads are Unit names


def _date(d: _Draft, t: Any) -> date:
    v = d.tok(t).value
    assert isinstance(v, date)
    return v


def _window(d: _Draft, w: Tree) -> WindowSpec:
    k, c = w.data, w.children
    if k in ("today", "yesterday"):
        return WindowSpec(k)  # type: ignore[arg-type]
    if k == "all_time":
        return WindowSpec("all")
    if k in ("last_n", "next_n"):
        return WindowSpec(
            "last" if k == "last_n" else "next", n=_count(d, c[1]), unit=_unit(d, c[2])
        )
    if k in ("previous", "this", "next"):
        return WindowSpec(k, unit=_unit(d, c[-1]))  # type: ignore[arg-type]
    if k == "year":
        return WindowSpec("year", year=d.tok(c[0]).value)
    if k in ("quarter", "month"):
        year, number = d.tok(c[0]).value
        if k == "month" and not 1 <= number <= 12:
            raise messages.bad_date(str(c[0]))
        return WindowSpec(k, year=year, number=number)  # type: ignore[arg-type]
    dates = [_date(d, x) for x in c if isinstance(x, Token) and x.type == "DATE"]
    if k in ("since", "after"):
        return WindowSpec(k, start=dates[0])  # type: ignore[arg-type]
    if k == "before":
        return WindowSpec("before", end=dates[0])
    if k == "one_day":
        return WindowSpec("between", start=dates[0], end=dates[0])
    start, end = dates
    if end < start:
        raise messages.range_reversed(start.isoformat(), end.isoformat())
    return WindowSpec("between", start=start, end=end)


# ---- clause handlers ------------------------------------------------------------------------


def _metric(d: _Draft, node: Tree) -> None:
    d.add_metric(str(d.tok(node.children[-1]).value))


def _metric_filter(d: _Draft, node: Tree) -> None:
    m, op, num = node.children
    value = d.tok(num).value
    d.metric_filters.append(MetricFilter(str(d.tok(m).value), d.tok(op).value, float(value)))


def _grouping(d: _Draft, node: Tree) -> None:
    name = str(d.tok(node.children[-1]).value)
    if d.catalog.has_dimension(name) and d.catalog.dimension(name).kind == "date":
        # A date field is the date records count on; "by" it also groups by a time grain.
        d.dates.append((_text(node), name, len(node.children) > 1))
        return
    if len(node.children) == 1 and d.catalog.has_dimension(name):
        if d.catalog.dimension(name).sql.get("checkbox"):
            d.filters.append((name, "in", ("true",)))  # "opportunities is closed"
            return
    if d.after in ("top", "bottom"):
        d.ranked_dimension = name
    d.add_grouping(name)


# "by close date": grouped by the grain that fits the window's length in days (longer windows,
# coarser buckets); a window of no fixed length (all time, since a date) is grouped by month.
_UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "quarter": 91, "year": 365}
_GRAIN_UP_TO_DAYS = ((31, "day"), (183, "week"), (1100, "month"))


def _date_grain(window: WindowSpec | None, default_window: str) -> str:
    if window is None:
        unit = default_window.split()[-1]
        days = _UNIT_DAYS.get(unit)
    elif window.kind in ("today", "yesterday"):
        days = 1
    elif window.kind == "between" and window.start and window.end:
        days = (window.end - window.start).days + 1
    elif window.kind in ("year", "quarter", "month"):
        days = _UNIT_DAYS[window.kind]
    elif window.unit is not None:
        days = _UNIT_DAYS[window.unit] * (window.n or 1)
    else:
        days = None
    if days is None:
        return "month"
    return next((g for limit, g in _GRAIN_UP_TO_DAYS if days <= limit), "quarter")


def _date_field(d: _Draft, window: WindowSpec | None) -> str | None:
    """The date field the records count on, and its grain grouping when grouped "by" it."""
    anchor = _one("date field", [(t, name) for t, name, _ in d.dates])
    if anchor is None or not any(by for _, _, by in d.dates):
        return anchor
    cat = d.catalog
    if not any(cat.has_dimension(g) and cat.dimension(g).kind == "grain" for g in d.groupings):
        first = d.metrics[0] if d.metrics and cat.has_metric(d.metrics[0]) else None
        default = cat.metric(first).default_window if first else "this quarter"
        d.groupings.insert(0, _date_grain(window, default))
    return anchor


def _values(d: _Draft, node: Tree) -> list[Tok]:
    return [d.tok(t) for t in node.children if isinstance(t, Token) and t.type == "VALUE"]


def _filter(d: _Draft, node: Tree) -> None:
    c = node.children
    op = "in" if node.data == "keep" else "not_in"
    if node.data == "cmp_filter":
        dim, cmp, num = c
        d.filters.append((str(d.tok(dim).value), d.tok(cmp).value, (float(d.tok(num).value),)))
        return
    if isinstance(c[0], Token) and c[0].type == "VALUE":
        d.bare.append(_BareValue(d.tok(c[0]), op))
        return
    values_node = c[-1]
    assert isinstance(values_node, Tree)
    if isinstance(c[0], Token) and c[0].type == "DIMENSION":
        dim = str(d.tok(c[0]).value)
        stored: list[Any] = []
        for v in _values(d, values_node):
            ms = [m for m in v.value if m.dim == dim]
            if not ms:
                raise messages.unknown_value(v.text, d.catalog.term(dim), [])
            stored.append(ms[0].name)
        d.filters.append((dim, op, tuple(stored)))
    else:
        d.bare += [_BareValue(v, op) for v in _values(d, values_node)]


def _ranking(d: _Draft, node: Tree) -> None:
    if node.data == "ranked_by":
        d.ranked_by = str(d.tok(node.children[-1]).value)
        return
    n = _count(d, node.children[1]) if len(node.children) > 1 else 10
    d.rankings.append((_text(node), Ranking(node.data, n)))  # type: ignore[arg-type]


def _sort(d: _Draft, node: Tree) -> None:
    c = node.children
    direction = next(
        (d.tok(t).value for t in c if isinstance(t, Token) and t.type == "DIRECTION"), None
    )
    desc = None if direction is None else direction == "desc"
    key_tok = None
    for x in c:
        if isinstance(x, Tree) and x.data == "sort_key":
            key_tok = d.tok(x.children[0])
        elif isinstance(x, Token) and x.type == "METRIC":
            key_tok = d.tok(x)
    key: str | None = None
    if key_tok is not None:
        key = str(key_tok.value)
        if key_tok.type == "METRIC":
            d.add_metric(key)
        elif node.data == "by_direction":
            # "calls by rep descending": group by rep, order by the KPI.
            d.add_grouping(key)
            key = None
        else:
            d.add_grouping(key)
    d.sorts.append((_text(node), key, desc))


def _comparison(d: _Draft, node: Tree) -> None:
    if node.data == "side_by_side":
        d.side_by_side = True
        return
    if node.data == "compare":
        kind = d.tok(node.children[0]).value
        d.comparisons.append((_text(node), Comparison(kind)))
    elif node.data == "before_window":
        # "the month before" the asked window: the period before it (kpis.md, Comparisons),
        # which must be a month (metrics/windows.py refuses "last quarter vs previous month").
        unit = d.tok(node.children[-1]).value
        d.comparisons.append((_text(node), Comparison("previous", unit=unit)))
    else:
        w = next(c for c in node.children if isinstance(c, Tree))
        full = node.data == "versus_full"
        d.comparisons.append((_text(node), Comparison("window", _window(d, w), full=full)))


def _chart(d: _Draft, node: Tree) -> None:
    d.charts.append((_text(node), str(d.tok(node.children[0]).value)))


def _dashboard(d: _Draft, node: Tree) -> None:
    d.dashboards.append((_text(node), str(d.tok(node.children[0]).value)))


_WINDOW_KINDS = {
    "today",
    "yesterday",
    "all_time",
    "last_n",
    "previous",
    "this",
    "next_n",
    "next",
    "year",
    "quarter",
    "month",
    "since",
    "after",
    "before",
    "between",
    "one_day",
}
_HANDLERS: dict[str, Callable[[_Draft, Tree], None]] = {
    "metric": _metric,
    "metric_filter": _metric_filter,
    "grouping": _grouping,
    "keep": _filter,
    "drop": _filter,
    "cmp_filter": _filter,
    "compare": _comparison,
    "versus": _comparison,
    "versus_full": _comparison,
    "before_window": _comparison,
    "side_by_side": _comparison,
    "top": _ranking,
    "bottom": _ranking,
    "ranked_by": _ranking,
    "sort_by": _sort,
    "sort_direction": _sort,
    "by_direction": _sort,
    "metric_direction": _sort,
    "chart": _chart,
    "dashboard": _dashboard,
}


def _clause(d: _Draft, node: Tree) -> None:
    if node.data in _WINDOW_KINDS:
        d.windows.append((_text(node), _window(d, node)))
    else:
        _HANDLERS[node.data](d, node)


# ---- the whole question ---------------------------------------------------------------------


def _implied_groupings(d: _Draft) -> None:
    """``follow-up rate by attempt`` is grouped by contact attempt: a KPI named "X by Y", Y a
    dimension word, brings grouping Y."""
    cat = d.catalog
    for name in d.metrics:
        if " by " not in name:
            continue
        tail = normalize(name.rsplit(" by ", 1)[1])
        for dim in cat.dimensions:
            if any(normalize(w) == tail for w in dim.words) and dim.name not in d.groupings:
                d.groupings.insert(0, dim.name)


def _settle_bare(d: _Draft) -> None:
    """A bare value filters on the dimension whose data holds it; when several do, keep those
    every asked KPI can be filtered by, and ask when that still leaves more than one."""
    cat = d.catalog
    allowed: set[str] | None = None
    for name in d.metrics or d.context or ():
        if cat.has_metric(name):
            dims = set(cat.metric(name).dimensions)
            allowed = dims if allowed is None else allowed & dims
    # "web vs partner", "web and partner": values named together share one dimension — the one
    # of the value that has only one.
    sure = {str(b.tok.value[0].dim) for b in d.bare if len({m.dim for m in b.tok.value}) == 1}
    for b in d.bare:
        ms: list[Meaning] = list(b.tok.value)
        if len({m.dim for m in ms}) > 1:
            ms = [m for m in ms if m.dim in sure] or ms
        if allowed is not None and len({m.dim for m in ms}) > 1:
            fit = [m for m in ms if m.dim in allowed]
            ms = fit or ms
        if len({m.dim for m in ms}) > 1 and any(not m.alias for m in ms):
            # "inbound" is a channel, not the first word of the lead source Inbound Call; but a
            # person is named by first name (the rep Jordan Lee is as likely as the account Jordan).
            ms = [m for m in ms if not m.alias or _names_people(cat, str(m.dim))]
        if len(ms) > 1:
            start, typed = b.tok.start, b.tok.text
            choices = [
                Msg.of("grammar.choice", value=m.name, dimension=cat.term(str(m.dim))) for m in ms
            ]
            rewritten = [
                d.text[:start] + f'{m.dim} = "{m.name}"' + d.text[start + len(typed) :] for m in ms
            ]
            raise messages.ambiguous(typed, choices, rewritten)
        m = ms[0]
        d.filters.append((str(m.dim), b.op, (m.name,)))


def _group_compared_values(d: _Draft) -> None:
    """ "温家豪 vs 王芳": each dimension with two or more kept values becomes a grouping, so the
    KPI is shown for each of them side by side."""
    counts: dict[str, int] = {}
    for dim, op, vals in d.filters:
        if op == "in":
            counts[dim] = counts.get(dim, 0) + len(vals)
    for dim, n in counts.items():
        if n >= 2 and dim not in d.groupings:
            d.groupings.insert(0, dim)


def _names_people(cat: Catalog, dim: str) -> bool:
    """Values read from a table of names (rep: User.Name) are people, called by first name."""
    return cat.has_dimension(dim) and cat.dimension(dim).values is not None


def _merge_filters(d: _Draft) -> tuple[Filter, ...]:
    merged: dict[tuple[str, str], list[Any]] = {}
    for dim, op, given in d.filters:
        bucket = merged.setdefault((dim, op), [])
        bucket += [v for v in given if v not in bucket]
    for (dim, op), kept in merged.items():
        if op == "in":
            for v in kept:
                if v in merged.get((dim, "not_in"), []):
                    raise messages.contradictory_filter(d.catalog.term(dim), str(v))
    out: list[Filter] = []
    for (dim, op), vals in merged.items():
        if op in ("in", "not_in"):
            out.append(Filter(dim, op, tuple(vals)))  # type: ignore[arg-type]
        else:
            out += [Filter(dim, op, (v,)) for v in vals]  # type: ignore[arg-type]
    return tuple(out)


def _one(what: str, items: list[tuple[str, Any]]) -> Any:
    distinct: list[tuple[str, Any]] = []
    for text, v in items:
        if all(v != u for _, u in distinct):
            distinct.append((text, v))
    if len(distinct) > 1:
        raise messages.two_of(what, distinct[0][0], distinct[1][0])
    return distinct[0][1] if distinct else None


def _the_ranking(d: _Draft) -> Ranking | None:
    """Top or bottom N (not both); a record list ("top deals") is the top ten unless told; a
    ranking by a KPI ("by revenue won") asks that KPI too."""
    kinds = {r.direction for _, r in d.rankings}
    if len(kinds) > 1:
        raise messages.top_and_bottom()
    ranking = _one("ranking", d.rankings)
    if ranking is None and any(
        d.catalog.has_metric(m) and d.catalog.metric(m).kind == "records" for m in d.metrics
    ):
        ranking = Ranking("top", 10)  # "top deals": the default ten
    if ranking is not None and d.ranked_by is not None:
        d.add_metric(d.ranked_by)
        ranking = Ranking(ranking.direction, ranking.n, d.ranked_by)
    if ranking is not None and d.ranked_dimension is not None and len(d.groupings) > 1:
        ranking = replace(ranking, dimension=d.ranked_dimension)  # which of two it ranks
    return ranking


def _the_sort(d: _Draft) -> Sort | None:
    """The sort asked for: by its key, else the first KPI; descending unless said, or where
    lower is better."""
    raw_sort = _one("sort order", [(t, (k, desc)) for t, k, desc in d.sorts])
    if raw_sort is None:
        return None
    key: str | None
    desc: bool | None
    key, desc = raw_sort
    key = key or (d.metrics[0] if d.metrics else None)
    if key is None:
        return None
    if desc is None:
        desc = d.catalog.metric(key).better == "higher" if d.catalog.has_metric(key) else False
    return Sort(key, desc)


def build(
    tree: Tree, toks: list[Tok], catalog: Catalog, text: str, context: tuple[str, ...] | None = None
) -> Query:
    """The Query of a parsed question. With ``context`` (the KPIs of the question before), a
    follow-up fragment ("by lead source", "only 温家豪") may name no KPI; its bare values are
    settled against those KPIs."""
    d = _Draft(toks, catalog, text)
    d.context = context
    for node in tree.children:
        assert isinstance(node, Tree)
        _clause(d, node)
        d.after = str(node.data)

    dashboard = _one("dashboard", d.dashboards)
    if not d.metrics and dashboard is None:
        for mf in d.metric_filters:
            d.add_metric(mf.metric)
    if not d.metrics and dashboard is None and context is None:
        raise messages.no_metric()
    _implied_groupings(d)
    _settle_bare(d)
    if d.side_by_side:
        _group_compared_values(d)
    window = _one("window", d.windows)
    anchor = _date_field(d, window)
    ranking = _the_ranking(d)
    sort = _the_sort(d)
    if len(d.groupings) > 2:
        raise messages.too_many_groupings([catalog.term(g) for g in d.groupings])
    comparison = _one("comparison", d.comparisons)
    chart = _one("chart", d.charts)
    if dashboard is not None and (
        d.metrics or d.groupings or ranking or sort or comparison or chart or d.metric_filters
    ):
        raise messages.dashboard_with_metrics(dashboard)
    return Query(
        metrics=tuple(d.metrics),
        groupings=tuple(d.groupings),
        window=window,
        filters=_merge_filters(d),
        metric_filters=tuple(d.metric_filters),
        ranking=ranking,
        sort=sort,
        comparison=comparison,
        chart=chart,
        dashboard=dashboard,
        anchor=anchor,
    )
