"""What the metrics layer hands to the CLI, the charts and the bot: an immutable answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from i18n import Language, Sayable
from metrics.query import Query
from metrics.scope import EVERYONE, Scope

ColumnRole = Literal["dimension", "metric", "previous", "growth", "field"]
# How a value is shown: counts, rates (fractions shown as %), money, durations, dates, text.
Format = Literal[
    "count", "percent", "currency", "hours", "days", "minutes", "date", "text", "number"
]


@dataclass(frozen=True)
class Column:
    name: str  # canonical: "rep", "connect rate", "connect rate (previous)", "connect rate growth"
    role: ColumnRole
    format: Format
    metric: str | None = None  # the KPI a metric/previous/growth column belongs to
    better: Literal["higher", "lower"] | None = None  # for ▲/▼ colouring
    # What a person reads as its header, when it differs from the canonical name (JSON and CSV
    # keep ``name``): "revenue won (2025)" when the user named both windows of a comparison,
    # "connect rate change" where a rate's change is shown in percentage points.
    label: str = ""
    # The KPI's or dimension's own name in the reply's language (赢单率), when it is not the
    # canonical one: charts name a card, a panel or an axis by it (never with a side).
    said: str = ""
    # A grouping's name for several in the reply's language (the catalog's ``plural``:
    # "industries", 行业), for a chart's note ("Top 12 of 40 industries"); empty elsewhere.
    plural: str = ""

    @property
    def shown(self) -> str:
        return self.label or self.name

    @property
    def spoken(self) -> str:
        return self.said or self.name


@dataclass(frozen=True)
class ResolvedWindow:
    """Concrete dates (both included) and how the user said it. ``start``/``end`` None = open."""

    start: date | None
    end: date | None
    label: str  # "last 31 days", "this quarter", "all time"
    # How "vs previous period" treats it: a full calendar period, a rolling range, a period still
    # running, or several full periods (kpis.md, Comparisons).
    shape: Literal["full", "rolling", "to_date", "periods", "open"] = "rolling"
    unit: str | None = None  # the period unit for full/to_date/periods shapes
    n: int = 1
    # A comparison window named by the user, against a current window still running: cut to as
    # many days from its start ("like for like"), or taken whole ("in full"), as said back.
    extent: Literal["", "like for like", "in full"] = ""
    # ``label`` in any reply language (an i18n.Msg: "上季度"); ``label`` is its English.
    said: Sayable | None = field(default=None, compare=False)

    def name(self, lang: Language) -> str:
        return self.label if self.said is None else self.said.say(lang)

    @property
    def days(self) -> int | None:
        if self.start is None or self.end is None:
            return None
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Sample:
    """How many records a rate or a mean stands on, row by row (counted by the compiled SQL:
    a ratio's denominator, a mean's averaged records). ``noun`` is the catalog's ``base``."""

    metric: str
    noun: str  # "closed deals", "outbound calls", "leads"
    counts: tuple[int, ...]  # one per row
    noun_one: str = ""  # the noun for a count of one ("closed deal"); default: ``noun``
    # With a comparison: the base of the compared window's value, one per row (its groups
    # are the current window's: 0 where the group had no records then).
    previous: tuple[int, ...] = ()

    def counted(self, n: int) -> str:
        """The noun said after the count ``n``: "1 new customer", "2 new customers"."""
        return (self.noun_one if n == 1 else "") or self.noun


@dataclass(frozen=True)
class Unsettled:
    """A rate whose outcome is not known yet for some records (a converted lead's opportunity
    still open): per row, the share of ``of`` records still open. ``says`` completes
    "62% of these leads' opportunities are still open" after the share."""

    metric: str
    says: str
    shares: tuple[float | None, ...]  # one per row; None when no record can be open


@dataclass(frozen=True)
class PartialBucket:
    """A time bucket only partly inside the window: the days it covers, and whether it is the
    period still running (today is in it), which tables say as "to date"."""

    first: date
    last: date
    running: bool


@dataclass(frozen=True)
class Answer:
    question: str
    query: Query
    restated: str  # "[connect rate] by [weekday] · 27 May – 26 Jun 2024 (last 31 days)"
    window: ResolvedWindow | None
    compare_window: ResolvedWindow | None
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]  # raw values: fractions, numbers, date, str, None
    sql: str
    notes: tuple[str, ...] = ()
    # What the marks and hollow points mean, said once (metrics.caveats): every text surface
    # prints them after the notes; a chart draws its own key instead.
    caveats: tuple[str, ...] = ()
    data_as_of: datetime | None = None
    kind: Literal["table", "records"] = "table"  # "records": a top-N list, one row per record
    # A comparison's two sides as people read them: ("2025", "2026") when the user named both
    # windows, else ("current", "previous period" / "last year" / "last month").
    sides: tuple[str, str] | None = None

    def companion(self, col: Column, role: ColumnRole) -> int | None:
        """The index of ``col``'s KPI's column of ``role`` ("metric", "previous", "growth")."""
        key = col.metric or col.name
        for i, c in enumerate(self.columns):
            if c.role == role and c.metric == key:
                return i
        return None
    # Honesty about each row (docs/kpis-and-catalog.md, "Sample sizes, open outcomes and
    # partial periods"): every surface reads these instead of guessing from the numbers.
    samples: tuple[Sample, ...] = ()  # one per rate or mean KPI shown
    unsettled: tuple[Unsettled, ...] = ()  # KPIs whose outcome can still change
    partial: tuple[PartialBucket | None, ...] = ()  # per row when grouped by time, else ()
    # KPIs counted to the last day of a period still running (open pipeline) beside KPIs
    # counted to today (revenue won): their buckets are partial only where the window cuts
    # them (``partial_ahead``), never "to date".
    ahead: tuple[str, ...] = ()
    partial_ahead: tuple[PartialBucket | None, ...] = ()
    min_sample: int = 20  # a group counted on fewer records than this is "small"
    unsettled_share: float = 0.1  # from this share of open records on, a value is provisional
    timings: dict[str, float] = field(default_factory=dict, compare=False)
    # Whose records it was computed from (row-level access); follow-ups reuse it.
    scope: Scope = EVERYONE
    # The reply's language: the restatement, headers, notes and caveats are already in it;
    # every surface says the rest (dates, buckets, changes, marks) in it too.
    language: Language = Language.EN
    # Rows that are a yardstick, not a group of records (a team's median beside one rep's row,
    # charts/median.py): drawn in the previous period's grey.
    reference_rows: tuple[int, ...] = ()

    def sample(self, metric: str | None) -> Sample | None:
        return next((s for s in self.samples if s.metric == metric), None)

    def small(self, metric: str | None, row: int) -> bool:
        """The row's value of ``metric`` stands on fewer records than ``min_sample`` (and on
        some: with none there is no value, shown —, and nothing to mark)."""
        s = self.sample(metric)
        return s is not None and 0 < s.counts[row] < self.min_sample

    def open_share(self, metric: str | None, row: int) -> float | None:
        u = next((u for u in self.unsettled if u.metric == metric), None)
        return None if u is None else u.shares[row]

    def provisional(self, metric: str | None, row: int) -> bool:
        """The row's value may still change: enough of its records' outcomes are open."""
        share = self.open_share(metric, row)
        return share is not None and share >= self.unsettled_share

    def small_previous(self, metric: str | None, row: int) -> bool:
        """The row's compared value of ``metric`` stands on fewer records than ``min_sample``."""
        s = self.sample(metric)
        return s is not None and bool(s.previous) and 0 < s.previous[row] < self.min_sample

    def small_previous_rows(self, metric: str | None) -> list[bool]:
        """``small_previous`` for every row at once."""
        s = self.sample(metric)
        if s is None or not s.previous:
            return [False] * len(self.rows)
        return [0 < n < self.min_sample for n in s.previous]

    def small_change(self, metric: str | None, row: int) -> bool:
        """A change computed from a small base on either side."""
        return self.small(metric, row) or self.small_previous(metric, row)

    def small_rows(self, metric: str | None) -> list[bool]:
        """``small`` for every row at once (tables of hundreds of rows mark a whole column)."""
        s = self.sample(metric)
        if s is None:
            return [False] * len(self.rows)
        return [0 < n < self.min_sample for n in s.counts]

    def provisional_rows(self, metric: str | None) -> list[bool]:
        """``provisional`` for every row at once."""
        u = next((u for u in self.unsettled if u.metric == metric), None)
        if u is None:
            return [False] * len(self.rows)
        return [x is not None and x >= self.unsettled_share for x in u.shares]

    def partial_row(self, row: int) -> PartialBucket | None:
        return self.partial[row] if self.partial else None

    def partial_of(self, row: int, metric: str | None) -> PartialBucket | None:
        """The row's partial bucket as ``metric`` counts it (open pipeline: to the period's end)."""
        if metric in self.ahead:
            return self.partial_ahead[row] if self.partial_ahead else None
        return self.partial_row(row)

    def partial_for_all(self, row: int) -> PartialBucket | None:
        """The row's partial bucket when every KPI shown counts it so (a table's row label);
        None when the KPIs differ (the notes say which KPI counts to date)."""
        p = self.partial_row(row)
        if p is None or not self.ahead:
            return p
        same = all(self.partial_of(row, c.metric) == p for c in self.columns if c.role == "metric")
        return p if same else None

    def column_index(self, name: str) -> int:
        for i, c in enumerate(self.columns):
            if c.name == name:
                return i
        raise KeyError(name)
