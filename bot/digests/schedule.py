"""Schedules of digests and alerts: parsing, and fire times in a time zone, DST-correct.

A schedule is a rule on *local* days and *local* wall-clock times. Fire instants are computed
day by day in the schedule's zone, never by adding 24 h to a UTC instant, so ``daily 09:00``
stays 09:00 local across a daylight-saving change (the peers' "report arrived an hour late" bug).

- A wall time that does not exist that day (the spring-forward gap) fires at the first valid
  instant after it: ``02:30`` on 10 Mar 2024 in New York fires at 03:00 EDT.
- A wall time that happens twice (fall back) fires once, at its first occurrence.

>>> s = parse_schedule("weekdays 09:00")
>>> [t.isoformat() for t in s.fires_on(date(2024, 3, 11), ZoneInfo("America/New_York"))]
['2024-03-11T13:00:00+00:00']
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter

from i18n import Language, Msg, Sayable, Word

_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Word forms of the simple schedules → the weekdays (Mon=0) they run on.
_WORDS: dict[str, frozenset[int]] = {
    "daily": frozenset(range(7)),
    "everyday": frozenset(range(7)),
    "weekdays": frozenset(range(5)),
    "weekends": frozenset({5, 6}),
    **{name + "s": frozenset({i}) for i, name in enumerate(_DAY_NAMES)},
    **{name: frozenset({i}) for i, name in enumerate(_DAY_NAMES)},
    **{name[:3]: frozenset({i}) for i, name in enumerate(_DAY_NAMES)},  # weekly mon 09:00
    # Chinese: 每天 09:00, 工作日 09:00, 周末 10:00, 每周一 09:00 (or 周一 09:00)
    "每天": frozenset(range(7)),
    "工作日": frozenset(range(5)),
    "周末": frozenset({5, 6}),
    **{f"{w}周{d}": frozenset({i}) for i, d in enumerate("一二三四五六日") for w in ("", "每")},
}
# "weekly mon 09:00" / "every monday 09:00" read as "mondays 09:00".
_SIMPLE = re.compile(
    r"^\s*(?:weekly\s+|every\s+)?([^\W\d_]+)\s+(\d{1,2}):(\d{2})\s*$", re.IGNORECASE
)
# How a simple schedule's days are said back (``schedule.days.<key>``); one weekday is
# ``schedule.weekly[i]`` (mondays / 每周一).
_SAID_DAYS: dict[frozenset[int], str] = {
    frozenset(range(7)): "daily",
    frozenset(range(5)): "weekdays",
    frozenset({5, 6}): "weekends",
}
_EXAMPLES = Msg("schedule.error.examples")


class ScheduleError(ValueError):
    """A schedule the user wrote that cannot be read. Its message is a catalogue ``Msg`` said
    in the reader's language (``say``: the subscriber's reply, app.yaml's ``language`` in a
    configuration error); ``str()`` is the English, for the log."""

    def __init__(self, key: str, /, **params: object) -> None:
        self.said = Msg.of(f"schedule.error.{key}", examples=_EXAMPLES, **params)
        super().__init__(self.said.say(Language.EN))

    def say(self, lang: Language) -> str:
        return self.said.say(lang)


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule. ``text`` is what the user wrote (shown back in listings)."""

    text: str
    times: tuple[tuple[int, int], ...]  # local (hour, minute) pairs, sorted
    weekdays: frozenset[int] | None = None  # simple forms: Mon=0 … Sun=6
    cron_days: str | None = None  # cron forms: "dom month dow", matched by croniter

    def said(self) -> Sayable:
        """The schedule in the reader's language: ``daily 09:00`` / ``每天 09:00``; a cron
        expression as written."""
        if self.weekdays is None or len(self.times) != 1:
            return Msg.of("schedule.cron", text=self.text)
        key = _SAID_DAYS.get(self.weekdays)
        days: Sayable = (
            Msg(f"schedule.days.{key}") if key else Word("schedule.weekly", min(self.weekdays))
        )
        h, m = self.times[0]
        return Msg.of("schedule.at", days=days, time=f"{h:02d}:{m:02d}")

    def runs_on(self, d: date) -> bool:
        if self.weekdays is not None:
            return d.weekday() in self.weekdays
        return bool(croniter.match(f"0 0 {self.cron_days}", datetime(d.year, d.month, d.day)))

    def fires_on(self, d: date, tz: ZoneInfo) -> list[datetime]:
        """The UTC instants this schedule fires on local date ``d`` (deduplicated, sorted)."""
        if not self.runs_on(d):
            return []
        out = {resolve_local(datetime.combine(d, time(h, m)), tz) for h, m in self.times}
        # A gap can push a wall time to the next local day; it still belongs to ``d``.
        return sorted(out)

    def fires_between(self, start: datetime, end: datetime, tz: ZoneInfo) -> list[datetime]:
        """UTC fire instants ``t`` with ``start < t <= end`` (both aware)."""
        out: list[datetime] = []
        for d in _local_days(start - timedelta(days=1), end + timedelta(days=1), tz):
            out.extend(t for t in self.fires_on(d, tz) if start < t <= end)
        return sorted(set(out))

    def next_after(self, t: datetime, tz: ZoneInfo) -> datetime:
        """The first fire instant strictly after ``t``."""
        day = t.astimezone(tz).date() - timedelta(days=1)
        for _ in range(3 * 366 + 2):  # a cron like "0 9 29 2 *" fires once in four years
            for f in self.fires_on(day, tz):
                if f > t:
                    return f
            day += timedelta(days=1)
        raise ValueError(f'schedule "{self.text}" never fires')

    def previous_at_or_before(self, t: datetime, tz: ZoneInfo) -> datetime | None:
        """The last fire instant at or before ``t`` within the past ~4 years, else None."""
        day = t.astimezone(tz).date() + timedelta(days=1)
        for _ in range(4 * 366 + 2):
            for f in reversed(self.fires_on(day, tz)):
                if f <= t:
                    return f
            day -= timedelta(days=1)
        return None


def _local_days(start: datetime, end: datetime, tz: ZoneInfo) -> Iterator[date]:
    d, last = start.astimezone(tz).date(), end.astimezone(tz).date()
    while d <= last:
        yield d
        d += timedelta(days=1)


def resolve_local(naive: datetime, tz: ZoneInfo) -> datetime:
    """A local wall time → the UTC instant it fires at (gap: first instant after; fold: first)."""
    first = naive.replace(tzinfo=tz, fold=0)
    utc = first.astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) == naive:
        return utc  # exists (and for an ambiguous time, fold=0 is its first occurrence)
    # In a gap: fold=0 reads it with the offset before the jump, fold=1 with the one after; the
    # transition instant lies between the two readings. Bisect to the second.
    lo = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    hi = utc
    lo, hi = min(lo, hi), max(lo, hi)
    after = hi.astimezone(tz).utcoffset()
    while (hi - lo) > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(tz).utcoffset() == after:
            hi = mid
        else:
            lo = mid
    return hi.replace(microsecond=0)


def parse_schedule(text: str) -> Schedule:
    """``weekdays 09:00`` / ``daily 08:30`` / ``mondays 09:00`` / a 5-field cron expression.

    Raises ScheduleError (a ValueError) saying what is allowed, in the reader's language.
    """
    if not isinstance(text, str) or not text.strip():
        raise ScheduleError("empty")
    m = _SIMPLE.match(text)
    if m:
        word, hh, mm = m.group(1).lower(), int(m.group(2)), int(m.group(3))
        if word not in _WORDS:
            raise ScheduleError("not_day_rule", word=m.group(1))
        if hh > 23 or mm > 59:
            raise ScheduleError("not_time", time=f"{hh}:{mm:02d}")
        return Schedule(text=text.strip(), times=((hh, mm),), weekdays=_WORDS[word])
    fields = text.split()
    if len(fields) != 5:
        raise ScheduleError("not_schedule", text=text)
    try:
        expanded, _ = croniter.expand(" ".join(fields))
    except (ValueError, KeyError):
        # croniter's own reason is English library text; the examples say what works
        raise ScheduleError("bad_cron", text=text) from None
    minutes, hours = expanded[0], expanded[1]
    if "*" in minutes or "*" in hours:  # croniter leaves "*" unexpanded
        minutes = list(range(60)) if "*" in minutes else minutes
        hours = list(range(24)) if "*" in hours else hours
    times = tuple(sorted((int(h), int(mi)) for h in hours for mi in minutes))
    return Schedule(text=" ".join(fields), times=times, cron_days=" ".join(fields[2:]))
