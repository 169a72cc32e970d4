"""Which chart an answer gets: a table of rules read top to bottom, first match wins.

The rules look only at the answer's *shape* (how many values, groupings of which kind, a
comparison, the KPIs asked), never at the numbers. ``as bar|line|table|pie|kpi|gauge|funnel``
(``Query.chart``) overrides the choice when the shape allows it; otherwise the automatic choice
stands and ``Choice.note`` says why. docs/charts.md shows ``RULES`` (``rules_markdown()``).

>>> choose(answer_for_connect_rate_by_weekday)  # doctest: +SKIP
'columns'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, TypeVar, cast, get_args

from i18n import Language, Msg, Sayable
from metrics.answer import Answer, Column
from metrics.catalog import english_plural
from metrics.catalog_load import load_catalog
from metrics.query import ChartKind

T = TypeVar("T")

# The charts this package draws (finer than Query.ChartKind, which is what users can ask for).
Chart = Literal[
    "kpi",  # one number per KPI on a card, ▲/▼ against the previous period
    "bars",  # horizontal bars sorted by value (best first)
    "columns",  # vertical bars in the rows' natural order (weekday, hour, stage, few time buckets)
    "line",  # a line over time (the previous period dashed when compared)
    "compare",  # current vs previous bars side by side, growth labelled
    "dumbbell",  # current vs previous as two dots on one row per group, many groups
    "grouped",  # two groupings: bars grouped by the first, coloured by the second
    "nested",  # two groupings, one within the other (reps in teams): bars coloured by group
    "lines",  # time × a second grouping: one line per value
    "heatmap",  # two groupings with many cells: weekday × hour, rep × month
    "panels",  # several KPIs by one grouping: one bar panel per KPI, rows aligned
    "donut",  # share of a total, ≤ 6 slices
    "stacked",  # share of a total as one 100% bar, > 6 parts
    "funnel",  # leads → opportunities → deals won
    "gauge",  # one value against its target
    "table",  # a clean table (top-N records, too many cells)
]

# How many things a chart can show before it stops being readable.
MAX_COLUMNS_FOR_TIME = 6  # time buckets shown as columns rather than a line
MAX_SERIES = 6  # colours in grouped bars / lines
MAX_GROUPED_CELLS = 40
MAX_HEATMAP_COLUMNS = 31  # days of a month, hours of a day
MAX_PANELS = 4  # KPIs side by side
MAX_CARDS = 6
MAX_SLICES = 6
MAX_SIDE_BY_SIDE = 7  # groups compared as pairs of bars; more get a dumbbell row each
# The lead → won funnel, in order; a stage may be named by either KPI.
FUNNEL = (("leads",), ("converted leads", "new opportunities"), ("deals won",))


@dataclass(frozen=True)
class Shape:
    rows: int
    metrics: tuple[str, ...]  # metric columns (role "metric"), in order
    groupings: tuple[str, ...]
    grouping_kinds: tuple[Literal["time", "ordered", "category"], ...]
    comparison: bool
    records: bool
    series: int  # distinct values of the second grouping (0 without one)
    share: bool  # a metric column that is a share of the total
    funnel: bool  # the KPIs asked are the lead → won funnel's stages
    target: bool = False  # the caller knows the KPI's target (render_answer(target=…))
    columns_across: int = 0  # two groupings: values of the one a heatmap puts across
    nested: bool = False  # two categories, one within the other, ≤ MAX_SERIES outer values


@dataclass(frozen=True)
class Rule:
    chart: Chart
    when: str  # the shape, in words (docs/charts.md)
    test: Callable[[Shape], bool]
    why: str  # where the rule comes from / what it buys


@dataclass(frozen=True)
class Choice:
    chart: Chart
    rule: str  # the ``when`` of the rule that chose it, or "as <kind>"
    note: Sayable | None = None  # a sentence for the user when an override could not be honoured


@lru_cache(maxsize=1)
def _dimension_kinds() -> dict[str, Literal["time", "ordered", "category"]]:
    out: dict[str, Literal["time", "ordered", "category"]] = {}
    for d in load_catalog().dimensions:
        if d.kind == "grain":
            out[d.name] = "time"
        elif d.kind == "datepart" or d.order:
            out[d.name] = "ordered"
        else:
            out[d.name] = "category"
    return out


@lru_cache(maxsize=1)
def _additive() -> frozenset[str]:
    return frozenset(m.name for m in load_catalog().metrics
                     if m.sql.get("agg") in ("count", "sum"))


def is_additive(metric: str) -> bool:
    """Counts and sums add up across groups (an "others" bar is their sum); rates do not."""
    return metric in _additive()


def grouping_kind(name: str) -> Literal["time", "ordered", "category"]:
    return _dimension_kinds().get(name, "category")


@lru_cache(maxsize=1)
def _orders() -> dict[str, dict[str, int]]:
    return {d.name: {v: i for i, v in enumerate(d.order)}
            for d in load_catalog().dimensions if d.order}


def plural_of(col: Column, lang: Language) -> str:
    """A grouping's name for several, as a chart's note says it ("Top 12 of 20 industries"):
    the catalog's plural, which the engine keeps on the column (a custom catalog's too); for a
    column built elsewhere, the regular English plural; Chinese nouns have one form (行业)."""
    if col.plural:
        return col.plural
    return col.spoken if lang is Language.ZH else english_plural(col.name)


def in_natural_order(name: str, values: Iterable[T]) -> list[T]:
    """The stored values of grouping ``name`` in the dimension's own order: the catalog's
    ``order`` (Mon … Sun, Jan … Dec, stages), numbers (hours) by number, the rest as stored;
    never by a label said in one language (周三 sorts before 周二 as text)."""
    rank = _orders().get(name, {})

    def key(v: T) -> tuple[int, int, float, str]:
        number = isinstance(v, int | float) and not isinstance(v, bool)
        return (rank.get(str(v), len(rank)), 0 if number else 1,
                float(v) if number else 0.0, str(v))  # type: ignore[arg-type]

    return sorted(values, key=key)


def is_funnel(metrics: tuple[str, ...]) -> bool:
    stages = [i for m in metrics for i, names in enumerate(FUNNEL) if m in names]
    return len(stages) == len(metrics) >= 3 and {0, len(FUNNEL) - 1} <= set(stages)


def is_share(name: str) -> bool:
    n = name.lower()
    return n.startswith("share of ") or n.endswith(" share") or "% of total" in n


def nesting(answer: Answer) -> tuple[int, int] | None:
    """(outer, inner) column indexes when two category groupings nest — every value of the
    inner one (rep) appears with one value of the outer one (team) and the outer has fewer
    values — else None. Read from the rows: reps in teams, lead sources in channels."""
    dims = [j for j, c in enumerate(answer.columns) if c.role == "dimension"]
    if len(dims) != 2 or any(grouping_kind(answer.columns[j].name) != "category" for j in dims):
        return None
    for outer, inner in (dims, dims[::-1]):
        seen: dict[Any, Any] = {}
        if all(seen.setdefault(r[inner], r[outer]) == r[outer] for r in answer.rows):
            n_outer = len({r[outer] for r in answer.rows})
            if 1 < n_outer < len(seen):
                return outer, inner
    return None


def shape_of(answer: Answer, target: bool = False) -> Shape:
    dims = tuple(c.name for c in answer.columns if c.role == "dimension")
    metrics = tuple(c.name for c in answer.columns if c.role == "metric")
    series = across = 0
    if len(dims) >= 2:
        counts = [len({r[answer.column_index(d)] for r in answer.rows}) for d in dims[:2]]
        series = counts[1]
        kinds = [grouping_kind(d) for d in dims[:2]]
        # A heatmap puts the ordered/time grouping across, or the smaller of two categories.
        across = counts[1] if kinds[1] != "category" or kinds[0] == "category" and \
            counts[1] <= counts[0] else counts[0]
    return Shape(
        rows=len(answer.rows),
        metrics=metrics,
        groupings=dims,
        grouping_kinds=tuple(grouping_kind(d) for d in dims),
        comparison=any(c.role in ("previous", "growth") for c in answer.columns),
        records=answer.kind == "records",
        series=series,
        share=any(is_share(m) for m in metrics),
        funnel=not dims and is_funnel(metrics),
        target=target,
        columns_across=across,
        nested=_few_outer(answer),
    )


def _few_outer(answer: Answer) -> bool:
    """Nested groupings whose outer values fit a legend's colours."""
    n = nesting(answer)
    return n is not None and len({r[n[0]] for r in answer.rows}) <= MAX_SERIES


def _one_grouping(s: Shape, kind: str) -> bool:
    return len(s.groupings) == 1 and s.grouping_kinds[0] == kind and len(s.metrics) == 1


RULES: tuple[Rule, ...] = (
    Rule("table", "a top-N list of records (`Answer.kind == \"records\"`)",
         lambda s: s.records, "a list of deals reads as rows, not bars"),
    Rule("funnel", "leads, opportunities (new or converted) and deals won asked together, "
         "no grouping", lambda s: s.funnel, "the stages of one process, largest first"),
    Rule("gauge", "one value of one KPI with a target (`render_answer(target=…)`)",
         lambda s: s.target and not s.groupings and len(s.metrics) == 1 and s.rows == 1,
         "how far along to the target, at a glance"),
    Rule("kpi", f"no grouping, 1–{MAX_CARDS} KPIs",
         lambda s: not s.groupings and 1 <= len(s.metrics) <= MAX_CARDS,
         "one number per card, ▲/▼ growth coloured by the KPI's better direction"),
    Rule("donut", f"a share of the total by one grouping, ≤ {MAX_SLICES} parts",
         lambda s: s.share and len(s.groupings) == 1 and s.rows <= MAX_SLICES,
         "parts of a whole; more slices are unreadable"),
    Rule("stacked", f"a share of the total by one grouping, > {MAX_SLICES} parts",
         lambda s: s.share and len(s.groupings) == 1, "a 100% bar keeps small parts visible"),
    Rule("nested", f"two categories, one within the other (reps in teams, from the rows), "
         f"≤ {MAX_SERIES} outer values, one KPI",
         lambda s: s.nested and len(s.metrics) == 1,
         "the inner grouping's bars, grouped and coloured by the outer one: a heatmap of reps × "
         "teams would be mostly empty cells"),
    Rule("lines", f"time × a second grouping with ≤ {MAX_SERIES} values, one KPI",
         lambda s: len(s.groupings) == 2 and s.grouping_kinds[0] == "time"
         and s.series <= MAX_SERIES and len(s.metrics) == 1, "one line per value"),
    Rule("grouped", f"two groupings, ≤ {MAX_SERIES} values of the second and "
         f"≤ {MAX_GROUPED_CELLS} cells, one KPI",
         lambda s: len(s.groupings) == 2 and s.series <= MAX_SERIES
         and s.rows <= MAX_GROUPED_CELLS and len(s.metrics) == 1,
         "bars grouped by the first grouping, coloured by the second"),
    Rule("heatmap", f"two groupings, more values than lines or grouped bars show "
         f"(≤ {MAX_HEATMAP_COLUMNS} across), one KPI",
         lambda s: len(s.groupings) == 2 and len(s.metrics) == 1
         and s.columns_across <= MAX_HEATMAP_COLUMNS,
         "a cell per pair, darker is more: weekday × hour, rep × month without a line each"),
    Rule("dumbbell", f"one category with a comparison, more than {MAX_SIDE_BY_SIDE} groups, "
         "one KPI", lambda s: _one_grouping(s, "category") and s.comparison
         and s.rows > MAX_SIDE_BY_SIDE,
         "a row per group, a grey dot (previous) to a blue one (current): pairs of bars need twice "
         "the rows; more rows than fit: the top ones, said"),
    Rule("compare", "one grouping (not over time) with a comparison, one KPI",
         lambda s: len(s.groupings) == 1 and s.comparison and len(s.metrics) == 1
         and s.grouping_kinds[0] != "time",
         "current next to previous, growth labelled; more rows than fit: the top ones, said"),
    Rule("compare", f"over time, ≤ {MAX_COLUMNS_FOR_TIME} buckets, with a comparison",
         lambda s: _one_grouping(s, "time") and s.comparison and s.rows <= MAX_COLUMNS_FOR_TIME,
         "current next to previous per bucket"),
    Rule("columns", f"over time (day … year), ≤ {MAX_COLUMNS_FOR_TIME} buckets",
         lambda s: _one_grouping(s, "time") and s.rows <= MAX_COLUMNS_FOR_TIME,
         "a line through a handful of points says less than columns"),
    Rule("line", "over time (day … year)", lambda s: _one_grouping(s, "time"),
         "trend; the previous period dashed when compared"),
    Rule("columns", "by weekday, hour, month of year, stage or contact attempt",
         lambda s: _one_grouping(s, "ordered"), "natural order (Mon → Sun), not sorted by value"),
    Rule("bars", "by a category (rep, lead source…)",
         lambda s: _one_grouping(s, "category"),
         "sorted horizontal bars, best first; more rows than fit: the top ones and "
         "\"N others\" (summed for counts and sums)"),
    Rule("panels", f"2–{MAX_PANELS} KPIs by one grouping",
         lambda s: len(s.groupings) == 1 and 2 <= len(s.metrics) <= MAX_PANELS,
         "one bar panel per KPI, rows aligned across panels; more rows than fit: the top "
         "ones by the first KPI, said"),
    Rule("table", "anything else (many rows, many KPIs, several groupings)",
         lambda s: True, "exact numbers when a picture would be crowded"),
)


def _auto(s: Shape) -> Choice:
    for r in RULES:
        if r.test(s):
            return Choice(r.chart, r.when)
    raise AssertionError("the last rule matches every shape")  # pragma: no cover


def _override(kind: str, s: Shape) -> Chart | str:
    """The chart for ``as <kind>``, or the reason the shape cannot have it (a catalogue key,
    ``chart.cannot.*``)."""
    one_metric = len(s.metrics) == 1
    if kind == "table":
        return "table"
    if s.records:
        return "chart.cannot.records"
    if kind == "kpi":
        ok = not s.groupings and s.rows == 1
        return "kpi" if ok else "chart.cannot.kpi"
    if kind == "gauge":
        ok = not s.groupings and one_metric and s.rows == 1
        return "gauge" if ok else "chart.cannot.gauge"
    if kind == "funnel":
        if not s.groupings and len(s.metrics) >= 2:
            return "funnel"
        if len(s.groupings) == 1 and one_metric and s.grouping_kinds[0] != "time":
            return "funnel"
        return "chart.cannot.funnel"
    if kind == "pie":
        if len(s.groupings) == 1 and one_metric and s.grouping_kinds[0] != "time":
            return "donut" if s.rows <= MAX_SLICES else "stacked"
        return "chart.cannot.pie"
    if kind == "line":
        if s.groupings and s.grouping_kinds[0] in ("time", "ordered"):
            if len(s.groupings) == 2:
                ok = one_metric and s.series <= MAX_SERIES
                return "lines" if ok else "chart.cannot.many_lines"
            return "line" if one_metric else "chart.cannot.line_one_kpi"
        return "chart.cannot.line_order"
    if kind == "bar":
        if not s.groupings:
            return "chart.cannot.bars_grouping"
        if len(s.groupings) == 2:
            if one_metric and s.series <= MAX_SERIES:
                return "grouped"
            return "heatmap" if one_metric else "chart.cannot.two_groupings"
        if not one_metric:
            return "panels" if len(s.metrics) <= MAX_PANELS else "chart.cannot.many_kpis"
        if s.comparison:
            return "compare"
        return "bars" if s.grouping_kinds[0] == "category" else "columns"
    return f"unknown chart kind {kind!r}"


def choose_with_reason(answer: Answer, *, target: bool = False) -> Choice:
    """The chart, the rule that picked it, and a note when ``as <kind>`` could not be honoured.
    ``target``: the caller has a target for the KPI (a single value then gets a gauge)."""
    s = shape_of(answer, target)
    asked = answer.query.chart
    if asked is not None:
        got = _override(asked, s)
        if got in _CHARTS:
            return Choice(got, f"as {asked}")  # type: ignore[arg-type]
        auto = _auto(s)
        why = Msg(got) if got.startswith("chart.cannot.") else got
        note = Msg.of("chart.not_shown", kind=Msg(f"chart.kind_word.{asked}"), why=why)
        return Choice(auto.chart, auto.rule, note)
    return _auto(s)


def chart_name(chart: str) -> Msg:
    """A chart (a ``Chart``, or ``auto``) as named to a person: ``chart.name.<chart>`` in the
    catalogue (``table`` / 表格); tests/test_charts_choose.py checks every Chart has one."""
    return Msg(f"chart.name.{chart}")


def pickable() -> tuple[str, ...]:
    """The kinds a person may ask a chart to be drawn as (``as table``, the pin modal's
    picker): the query language's kinds, each mapped onto a chart by ``_override``."""
    return get_args(ChartKind)


def as_kind(answer: Answer, kind: str) -> Choice:
    """``answer`` drawn as ``kind`` (one of ``pickable()``): the chart, or, in ``note``, why
    its shape cannot be (a gauge for a by-rep answer)."""
    query = dataclasses.replace(answer.query, chart=cast(ChartKind, kind))
    asked = dataclasses.replace(answer, query=query)
    return choose_with_reason(asked)


def choose(answer: Answer, *, target: bool = False) -> Chart:
    """The chart kind for ``answer`` (see RULES)."""
    return choose_with_reason(answer, target=target).chart


_CHARTS = set(Chart.__args__)  # type: ignore[attr-defined]


def rules_markdown() -> str:
    """RULES as the markdown table that docs/charts.md shows (a test keeps them equal)."""
    lines = ["| # | answer shape | chart | why |", "|---|---|---|---|"]
    for i, r in enumerate(RULES, 1):
        lines.append(f"| {i} | {r.when} | `{r.chart}` | {r.why} |")
    return "\n".join(lines)
