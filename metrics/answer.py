"""What the metrics layer hands to the CLI, the charts and the bot: an immutable answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

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

    @property
    def shown(self) -> str:
        return self.label or self.name


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

    @property
    def days(self) -> int | None:
        if self.start is None or self.end is None:
            return None
        return (self.end - self.start).days + 1


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
    data_as_of: datetime | None = None
    kind: Literal["table", "records"] = "table"  # "records": a top-N list, one row per record
    # A comparison's two sides as people read them: ("2025", "2026") when the user named both
    # windows, else ("current", "previous period" / "last year" / "last month").
    sides: tuple[str, str] | None = None
    timings: dict[str, float] = field(default_factory=dict, compare=False)
    # Whose records it was computed from (row-level access); follow-ups reuse it.
    scope: Scope = EVERYONE

    def companion(self, col: Column, role: ColumnRole) -> int | None:
        """The index of ``col``'s KPI's column of ``role`` ("metric", "previous", "growth")."""
        key = col.metric or col.name
        for i, c in enumerate(self.columns):
            if c.role == role and c.metric == key:
                return i
        return None

    def column_index(self, name: str) -> int:
        for i, c in enumerate(self.columns):
            if c.name == name:
                return i
        raise KeyError(name)
