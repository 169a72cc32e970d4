"""Schedules: parsing, and fire times in a zone across DST changes (worked out by hand)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.digests.schedule import ScheduleError, parse_schedule
from i18n import Language

NY = ZoneInfo("America/New_York")
SH = ZoneInfo("Asia/Shanghai")
KOLKATA = ZoneInfo("Asia/Kolkata")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "tz", "day", "expected_utc"),
    [
        # New York: EST (-5) until 10 Mar 2024 02:00, EDT (-4) until 3 Nov 2024 02:00.
        ("daily 09:00", NY, date(2024, 3, 9), [utc(2024, 3, 9, 14)]),
        ("daily 09:00", NY, date(2024, 3, 10), [utc(2024, 3, 10, 13)]),  # still 09:00 local
        ("daily 09:00", NY, date(2024, 3, 11), [utc(2024, 3, 11, 13)]),
        ("daily 09:00", NY, date(2024, 11, 3), [utc(2024, 11, 3, 14)]),
        ("daily 09:00", NY, date(2024, 11, 4), [utc(2024, 11, 4, 14)]),
        # 02:30 does not exist on 10 Mar: the first valid instant after it is 03:00 EDT = 07:00Z.
        ("daily 02:30", NY, date(2024, 3, 10), [utc(2024, 3, 10, 7)]),
        # 01:30 happens twice on 3 Nov: once, at the first (EDT, 05:30Z).
        ("daily 01:30", NY, date(2024, 11, 3), [utc(2024, 11, 3, 5, 30)]),
        ("weekdays 09:00", SH, date(2024, 6, 28), [utc(2024, 6, 28, 1)]),  # a Friday
        ("weekdays 09:00", SH, date(2024, 6, 29), []),  # Saturday
        ("mondays 09:00", SH, date(2024, 7, 1), [utc(2024, 7, 1, 1)]),
        ("mondays 09:00", SH, date(2024, 7, 2), []),
        ("weekends 10:15", KOLKATA, date(2024, 6, 29), [utc(2024, 6, 29, 4, 45)]),  # UTC+5:30
        ("0 9 * * 1-5", NY, date(2024, 3, 11), [utc(2024, 3, 11, 13)]),
        ("0 9 * * 1-5", NY, date(2024, 3, 10), []),  # Sunday
        # Every 30 min from 02:00 in the gap: 02:00 and 02:30 both become 03:00, which fires once.
        (
            "0,30 1-3 * * *",
            NY,
            date(2024, 3, 10),
            [
                utc(2024, 3, 10, 6),
                utc(2024, 3, 10, 6, 30),
                utc(2024, 3, 10, 7),
                utc(2024, 3, 10, 7, 30),
            ],
        ),
    ],
)
def test_fires_on(text: str, tz: ZoneInfo, day: date, expected_utc: list[datetime]) -> None:
    assert parse_schedule(text).fires_on(day, tz) == expected_utc


def test_next_and_previous_across_the_spring_change() -> None:
    s = parse_schedule("weekdays 09:00")
    # Friday 8 Mar 2024 09:00 EST = 14:00Z; the next is Monday 11 Mar 09:00 EDT = 13:00Z.
    assert s.next_after(utc(2024, 3, 8, 14), NY) == utc(2024, 3, 11, 13)
    assert s.previous_at_or_before(utc(2024, 3, 11, 12, 59), NY) == utc(2024, 3, 8, 14)
    assert s.previous_at_or_before(utc(2024, 3, 11, 13), NY) == utc(2024, 3, 11, 13)


def test_fires_between_is_half_open() -> None:
    s = parse_schedule("daily 09:00")
    fires = s.fires_between(utc(2024, 11, 1, 13), utc(2024, 11, 4, 14), NY)
    # 1 and 2 Nov at 13:00Z (EDT); 3 and 4 Nov at 14:00Z (EST). The start is excluded.
    assert fires == [utc(2024, 11, 2, 13), utc(2024, 11, 3, 14), utc(2024, 11, 4, 14)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("every day 9am", "is not a schedule"),
        ("fortnightly 09:00", '"fortnightly" is not a day rule'),
        ("daily 25:00", "is not a time of day"),
        ("61 * * * *", "is not a valid cron expression"),
        ("", "is empty"),
    ],
)
def test_bad_schedules_say_what_is_allowed(text: str, message: str) -> None:
    with pytest.raises(ValueError) as exc:
        parse_schedule(text)
    assert message in str(exc.value)
    assert "weekdays 09:00" in str(exc.value) or "HH:MM" in str(exc.value)


@pytest.mark.parametrize(
    ("text", "chinese"),
    [
        ("every day 9am", "“every day 9am”不是时间安排；请写 “工作日 09:00”"),
        ("fortnightly 09:00", "“fortnightly”不是日期规则；请用 每天、工作日、周末 或 每周一"),
        ("每天 24:00", "“24:00”不是一天中的时间；请写 00:00 到 23:59 之间的 HH:MM"),
        ("61 * * * *", "“61 * * * *”不是有效的 cron 表达式；请写 “工作日 09:00”"),
        ("", "是空的；请写 “工作日 09:00”"),
    ],
)
def test_a_bad_schedule_is_said_in_the_readers_language(text: str, chinese: str) -> None:
    with pytest.raises(ScheduleError) as exc:
        parse_schedule(text)
    assert exc.value.say(Language.ZH).startswith(chinese)
    assert exc.value.say(Language.EN) == str(exc.value)  # English for the log
