"""Time buckets of a window: every bucket a time series must show, and the ones only partly in.

A series grouped by day, week, month, quarter or year has one row per bucket of the window,
records or not (the compiler's ``$grid``): a day without deals is a 0, not a missing point. A
bucket the window covers only in part (the week still running, a first week cut by the
window's start) is a ``PartialBucket``: charts draw it hollow, tables say "to date".

>>> grid(ResolvedWindow(date(2024, 5, 29), date(2024, 6, 4), "x"), "week", 1)
(datetime.date(2024, 5, 27), datetime.date(2024, 6, 3))
"""

from __future__ import annotations

from datetime import date, timedelta

from metrics.answer import PartialBucket, ResolvedWindow
from metrics.windows import period_start, shift_periods

# A grid longer than this (days over decades) is not drawn; the series keeps only its rows.
MAX_BUCKETS = 5000


def bucket_end(first: date, grain: str) -> date:
    return shift_periods(first, grain, 1) - timedelta(days=1)


def grid(window: ResolvedWindow, grain: str, fiscal_start_month: int) -> tuple[date, ...] | None:
    """The first day of every ``grain`` bucket the window touches; None for an open window."""
    if window.start is None or window.end is None or window.end < window.start:
        return None
    out: list[date] = []
    b = period_start(window.start, grain, fiscal_start_month)
    while b <= window.end:
        out.append(b)
        if len(out) > MAX_BUCKETS:
            return None
        b = shift_periods(b, grain, 1)
    return tuple(out)


def partial(first: date, grain: str, window: ResolvedWindow, today: date) -> PartialBucket | None:
    """The bucket starting ``first`` if the window covers only part of it or it is still
    running (today is in it, so the period is not over); None when it is whole."""
    last = bucket_end(first, grain)
    lo = max(first, window.start) if window.start is not None else first
    hi = min(last, window.end) if window.end is not None else last
    running = first <= today <= last
    if lo == first and hi == last and not running:
        return None
    return PartialBucket(lo, min(hi, today) if running else hi, running)
