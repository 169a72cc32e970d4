"""The typed, immutable query object: what a question means, before any SQL.

The grammar produces it; the compiler turns it into SQL. Names in it are *canonical* catalog
names (``"connect rate"``, ``"rep"``, ``"lead source"``), never the words the user typed.

Examples (see tests/corpus for 200 more):

``connect rate by weekday last 31 days`` →
``Query(metrics=("connect rate",), groupings=("weekday",),
window=WindowSpec("last", n=31, unit="day"))``

``top 5 reps by revenue won this quarter`` →
``Query(metrics=("revenue won",), groupings=("rep",), window=WindowSpec("this", unit="quarter"),
ranking=Ranking("top", 5))``
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from i18n import Language, t

Unit = Literal["day", "week", "month", "quarter", "year"]

WindowKind = Literal[
    "today",  # today
    "yesterday",  # yesterday
    "last",  # last N days (ending yesterday) / last N weeks|months|quarters|years (full periods)
    "this",  # this week|month|quarter|year, wtd/mtd/qtd/ytd: period start → today
    "previous",  # last week|month|quarter|year: the previous full period
    "next",  # next N days (n set, unit day) / next week|month|quarter|year (n None)
    "year",  # FY2024 / 2024 / in 2024: that fiscal year (year = the FY's name)
    "quarter",  # Q2 2024: that fiscal quarter (year = FY name, number = 1..4)
    "month",  # May 2024 / 2024-05: that calendar month (year, number = 1..12)
    "since",  # since D / from D: D → today
    "after",  # after D: D+1 → today
    "before",  # before D: everything up to D-1
    "between",  # between D1 and D2: both included
    "all",  # all time
]


@dataclass(frozen=True)
class WindowSpec:
    """A time window as the user said it, still relative to *today* and the fiscal calendar."""

    kind: WindowKind
    n: int | None = None
    unit: Unit | None = None
    year: int | None = None
    number: int | None = None
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class Comparison:
    """``vs previous period`` / ``vs last year`` / ``vs <window>`` (see kpis.md, Comparisons)."""

    kind: Literal["previous", "last_year", "window"]
    window: WindowSpec | None = None  # only for kind == "window"
    # "vs all of last month" / "vs last month in full" / 整月: the whole named period even when
    # the current window is still running (otherwise it is cut like for like).
    full: bool = False
    # "vs previous quarter" / "vs the month before": kind "previous", said with its period, which
    # must be the current window's (a quarter is not compared with "the previous month").
    unit: Unit | None = None


FilterOp = Literal["in", "not_in", "gt", "ge", "lt", "le"]


@dataclass(frozen=True)
class Filter:
    """A record filter. ``dimension`` is a canonical dimension name (``rep``, ``lead source``,
    ``amount``…). ``in``/``not_in`` carry the stored values exactly as found in the data (after
    fuzzy correction); comparisons carry one number."""

    dimension: str
    op: FilterOp
    values: tuple[str | float | None, ...]


@dataclass(frozen=True)
class MetricFilter:
    """``calls > 50`` next to a grouping: keep groups whose metric passes."""

    metric: str
    op: Literal["gt", "ge", "lt", "le", "eq"]
    value: float


@dataclass(frozen=True)
class Ranking:
    """``top 5`` / ``bottom 3``; ranks by ``metric`` (default: the query's first metric)."""

    direction: Literal["top", "bottom"]
    n: int = 10
    metric: str | None = None
    # Of two groupings, the one whose groups it keeps, when the question names it ("top 5
    # reps", "前5名销售"); metrics.ranking.ranked_dimension decides when it does not.
    dimension: str | None = None


@dataclass(frozen=True)
class Sort:
    """``sort by X asc``; ``key`` is a metric or a grouping of the query."""

    key: str
    descending: bool = True


ChartKind = Literal["bar", "line", "table", "pie", "kpi", "gauge", "funnel"]


@dataclass(frozen=True)
class Query:
    metrics: tuple[str, ...] = ()
    # Canonical dimension names, in the asked order: categorical ("rep", "lead source", "stage"),
    # time grains ("day", "week", "month", "quarter", "year") or date parts ("weekday", "hour",
    # "month of year"), and "contact attempt" for follow-up rate by attempt. At most two.
    groupings: tuple[str, ...] = ()
    window: WindowSpec | None = None  # None: the metric's default window (stated in the answer)
    filters: tuple[Filter, ...] = ()
    metric_filters: tuple[MetricFilter, ...] = ()
    ranking: Ranking | None = None
    sort: Sort | None = None
    comparison: Comparison | None = None
    chart: ChartKind | None = None
    dashboard: str | None = None  # "kpi", "outbound calls", "inbound leads"
    # A date field the records count on instead of each KPI's own anchor ("by close date",
    # "created last month"): a date dimension's canonical name (metrics/fields.py).
    anchor: str | None = None


@dataclass(frozen=True)
class Correction:
    """A typo the parser corrected on its own: said back to the user."""

    typed: str
    meant: str
    what: str  # "metric", "rep", "lead source", …, "sign"

    def __str__(self) -> str:
        return self.say(Language.EN)

    def say(self, lang: Language, names: Callable[[str], str] = str) -> str:
        """Said back in ``lang``; ``names`` says a dimension in it (the catalog's)."""
        # "(metric)" is jargon to a rep: a catalog word is just quoted back; a value is named
        # with its dimension, which says whose name it is ("as rep "Alice Wang"").
        if self.what == "sign":  # a sign read for its meaning: "25%" as 0.25
            return t(lang, "correction.sign", typed=self.typed, meant=self.meant)
        if self.what in ("metric", "dimension", "word", "value"):
            return t(lang, "correction.word", typed=self.typed, meant=self.meant)
        return t(
            lang, "correction.value", typed=self.typed, meant=self.meant, what=names(self.what)
        )


@dataclass(frozen=True)
class Parsed:
    """The parser's output: the query plus what it corrected along the way."""

    query: Query
    corrections: tuple[Correction, ...] = field(default=())
