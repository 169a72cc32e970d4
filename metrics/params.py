"""The values catalog SQL binds: the org's settings ($tz, $channel_sources, …) and each window's
bounds ($cur_start_ts, $prev_months_end_ts, …) as dates and zone-aware midnights.

>>> window_params("cur", window, settings)["cur_start_ts"]  # doctest: +SKIP
datetime.datetime(2024, 4, 1, 0, 0, tzinfo=zoneinfo.ZoneInfo(key='Europe/Berlin'))
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any

from metrics import buckets
from metrics.answer import ResolvedWindow
from metrics.settings import OrgSettings
from metrics.windows import period_start


def settings_params(settings: OrgSettings) -> dict[str, Any]:
    """The app.yaml values catalog SQL may name ($tz, $channel_sources, …), lists lower-cased."""
    sources: list[str] = []
    names: list[str] = []
    for channel, values in settings.channels.items():
        for v in values:
            sources.append(v.strip().lower())
            names.append(channel)
    return {
        "tz": settings.timezone,
        "fiscal_shift": settings.fiscal_year_start_month - 1,
        "connected_dispositions": [v.strip().lower() for v in settings.connected_dispositions],
        "meeting_types": [v.strip().lower() for v in settings.meeting_types],
        "new_business_types": [v.strip().lower() for v in settings.new_business_types],
        "channel_sources": sources,
        "channel_names": names,
    }


def today_in(settings: OrgSettings, now: datetime | None = None) -> date:
    return (now or datetime.now(settings.tz)).astimezone(settings.tz).date()


def midnight(d: date, settings: OrgSettings) -> datetime:
    return datetime.combine(d, dtime(0), tzinfo=settings.tz)


def window_params(
    prefix: str, w: ResolvedWindow, settings: OrgSettings, ahead_end: date | None = None
) -> dict[str, Any]:
    """The window's bound values; ``ahead_end``: where records that can lie ahead stop (the
    running period's last day, ``ahead_end_of``), else the window's end."""
    out: dict[str, Any] = {}
    if w.start is not None:
        out[f"{prefix}_start"] = w.start
        out[f"{prefix}_start_ts"] = midnight(w.start, settings)
    if w.end is not None:
        ahead = max(w.end, ahead_end or w.end)
        out[f"{prefix}_end"] = w.end
        out[f"{prefix}_end_ts"] = midnight(w.end + timedelta(days=1), settings)
        out[f"{prefix}_ahead_end"] = ahead
        out[f"{prefix}_ahead_end_ts"] = midnight(ahead + timedelta(days=1), settings)
    first, after = whole_months(w)
    out[f"{prefix}_months_start_ts"] = midnight(first, settings) if first else _NEVER[0]
    out[f"{prefix}_months_end_ts"] = midnight(after, settings) if after else _NEVER[1]
    return out


# Before and after every record: an open window's whole months reach them (DuckDB's TIMESTAMPTZ
# holds Python's extremes).
_NEVER = (datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC))


def ahead_end_of(
    w: ResolvedWindow | None, current: ResolvedWindow, fiscal_start_month: int
) -> date | None:
    """Where records that can lie ahead stop in ``w`` (the current window or the compared one):
    over a period still running, the last day of that period ("open pipeline, revenue won this
    quarter": the pipeline closing by 31 Dec beside the revenue won to today, kpis.md);
    otherwise the window's own end."""
    if w is None or w.end is None:
        return None
    if current.shape != "to_date" or current.unit is None or w.start is None:
        return w.end
    first = period_start(w.start, current.unit, fiscal_start_month)
    return max(w.end, buckets.bucket_end(first, current.unit))


def whole_months(w: ResolvedWindow) -> tuple[date | None, date | None]:
    """The whole calendar months inside the window, as [first day, first day after): a month
    rollup's rows for them, the records themselves for the days before and after (catalog
    ``lead_month``). None: open on that side. A window within one month has none (both ends
    the same day)."""
    first = w.start
    if first is not None and first.day != 1:
        first = (first.replace(day=1) + timedelta(days=32)).replace(day=1)
    after = None if w.end is None else (w.end + timedelta(days=1)).replace(day=1)
    if first is not None and after is not None and after < first:
        after = first
    return first, after
