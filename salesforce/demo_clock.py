"""Local (org time zone) clock arithmetic for the demo org, vectorised over numpy arrays.

The demo generates wall-clock times in the org's time zone (reps work 09:00–18:00 local, Monday
to Friday) as ``datetime64[s]`` without a zone; they become UTC instants only when inserted
(``timezone(org_tz, ts)`` in DuckDB), so weekdays and hours come out right in any zone.
"""

from __future__ import annotations

from datetime import date

import numpy as np

DAY = np.int64(86_400)
HOUR = np.int64(3_600)


def day_numbers(first: date, last: date) -> np.ndarray:
    """Days since 1970-01-01 from ``first`` to ``last`` inclusive."""
    a = np.datetime64(first, "D").astype(np.int64)
    b = np.datetime64(last, "D").astype(np.int64)
    return np.arange(a, b + 1, dtype=np.int64)


def weekday(days: np.ndarray) -> np.ndarray:
    """Monday = 0 … Sunday = 6 (1970-01-01 was a Thursday)."""
    return (days + 3) % 7


def to_seconds(days: np.ndarray, seconds_of_day: np.ndarray) -> np.ndarray:
    return days * DAY + seconds_of_day.astype(np.int64)


def next_workday(days: np.ndarray) -> np.ndarray:
    """The next Monday–Friday strictly after each day."""
    out = days + 1
    wd = weekday(out)
    return out + np.where(wd == 5, 2, np.where(wd == 6, 1, 0))


def into_work_hours(t: np.ndarray, rng: np.random.Generator, hours: tuple[int, int]) -> np.ndarray:
    """Move each local time (seconds) that falls outside working hours to shortly after the
    start of the next working period. Monotone, so an ordered sequence stays ordered."""
    start, end = np.int64(hours[0]) * HOUR, np.int64(hours[1]) * HOUR
    days = t // DAY
    sec = t - days * DAY
    wd = weekday(days)
    weekend = wd >= 5
    late = ~weekend & (sec >= end)
    early = ~weekend & (sec < start)
    moved_day = np.where(weekend, _monday_after(days), np.where(late, next_workday(days), days))
    jitter = rng.integers(0, 40 * 60, size=t.shape)
    moved = moved_day * DAY + start + jitter
    return np.where(weekend | late | early, np.maximum(moved, t), t)


def _monday_after(days: np.ndarray) -> np.ndarray:
    wd = weekday(days)
    return days + (7 - wd)


def work_seconds(rng: np.random.Generator, n: int, hours: tuple[int, int]) -> np.ndarray:
    """Seconds of day within working hours, fewer over lunch (12:00–13:30)."""
    start, end = hours
    t = rng.uniform(start, end, size=n)
    lunch = (t >= 12.0) & (t < 13.5)
    t = np.where(lunch & (rng.random(n) < 0.6), rng.uniform(start, end, size=n), t)
    return (t * 3600).astype(np.int64)


def add_work_days(
    t: np.ndarray, n_days: np.ndarray, rng: np.random.Generator, hours: tuple[int, int]
) -> np.ndarray:
    """``n_days`` working days after ``t``, at a random working hour."""
    days = t // DAY
    for _ in range(int(n_days.max(initial=0))):
        step = n_days > 0
        days = np.where(step, next_workday(days), days)
        n_days = n_days - step
    return days * DAY + work_seconds(rng, t.shape[0], hours)


def to_datetime64(t: np.ndarray) -> np.ndarray:
    return t.astype("datetime64[s]")


def local_date(t: np.ndarray) -> np.ndarray:
    return (t // DAY).astype("datetime64[D]")
