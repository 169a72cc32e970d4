"""What the metrics layer hands to the CLI, the charts and the bot: an immutable answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from metrics.query import Query

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
    timings: dict[str, float] = field(default_factory=dict, compare=False)

    def column_index(self, name: str) -> int:
        for i, c in enumerate(self.columns):
            if c.name == name:
                return i
        raise KeyError(name)
