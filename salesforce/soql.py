"""The SOQL the sync sends: field lists, half-open time windows, literals.

Only maintainer-chosen names (schema fields, describe results, field_map targets that the
settings validated as API names) and datetimes we format ourselves reach a query, so nothing a
user types is ever spliced into SOQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")

# SystemModstamp is set by Salesforce on every write and so can never precede the company;
# CreatedDate can be back-dated by data migrations, hence the far older floor for it.
FLOOR = datetime(1970, 1, 1, tzinfo=UTC)


def literal(ts: datetime) -> str:
    """A SOQL datetime literal in UTC with milliseconds: ``2024-05-01T13:45:00.000Z``.

    SOQL takes datetime literals unquoted; SystemModstamp has millisecond precision, so the
    milliseconds keep window edges exact.
    """
    if ts.tzinfo is None:
        raise ValueError("naive datetime in a SOQL window")
    ts = ts.astimezone(UTC)
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def _check(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"{name!r} is not a Salesforce API name")
    return name


@dataclass(frozen=True)
class Window:
    """``start <= field < end``; no start means from the beginning, no end means up to now."""

    start: datetime | None
    end: datetime | None

    def split(self, now: datetime) -> tuple[Window, Window]:
        """Two halves, used when Salesforce says the query ran too long (QUERY_TIMEOUT)."""
        lo = self.start or FLOOR
        hi = self.end or now
        if hi <= lo:
            hi = lo + timedelta(milliseconds=2)
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=(mid.microsecond // 1000) * 1000)  # SOQL has ms only
        return Window(self.start, mid), Window(mid, self.end)

    def width(self, now: datetime) -> timedelta:
        return (self.end or now) - (self.start or FLOOR)

    def where(self, field: str) -> str:
        parts = []
        if self.start is not None:
            parts.append(f"{_check(field)} >= {literal(self.start)}")
        if self.end is not None:
            parts.append(f"{_check(field)} < {literal(self.end)}")
        return " WHERE " + " AND ".join(parts) if parts else ""


def select(obj: str, fields: tuple[str, ...], window: Window, cursor: str, *, ordered: bool) -> str:
    """``SELECT f1, f2 FROM Obj WHERE cursor >= a AND cursor < b [ORDER BY cursor, Id]``.

    REST pages are ordered so that a page boundary never splits records unpredictably; Bulk
    jobs are not (ORDER BY disables Bulk API's primary-key chunking).
    """
    cols = ", ".join(_check(f) for f in fields)
    q = f"SELECT {cols} FROM {_check(obj)}{window.where(cursor)}"
    if ordered:
        q += f" ORDER BY {_check(cursor)}, Id"
    return q


def count(obj: str, window: Window, cursor: str) -> str:
    return f"SELECT COUNT() FROM {_check(obj)}{window.where(cursor)}"
