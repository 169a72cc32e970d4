"""Windows and comparison windows, rule by rule (query-language.md table, kpis.md Comparisons).

Expected dates are worked out by hand on a calendar; 27 Jun 2024 is a Thursday.
"""

from __future__ import annotations

from datetime import date

import pytest

from metrics.errors import Invalid
from metrics.query import Comparison, WindowSpec
from metrics.windows import compare_window, resolve

D = date
TODAY = D(2024, 6, 27)

WINDOWS = [
    # (spec, fiscal start month, start, end, label)
    (WindowSpec("today"), 1, D(2024, 6, 27), D(2024, 6, 27), "today"),
    (WindowSpec("yesterday"), 1, D(2024, 6, 26), D(2024, 6, 26), "yesterday"),
    # last 31 days: the 31 full days ending yesterday
    (WindowSpec("last", n=31, unit="day"), 1, D(2024, 5, 27), D(2024, 6, 26), "last 31 days"),
    # last 2 weeks: the two full Monday weeks before this one (this week starts Mon 24 Jun)
    (WindowSpec("last", n=2, unit="week"), 1, D(2024, 6, 10), D(2024, 6, 23), "last 2 weeks"),
    (WindowSpec("last", n=6, unit="month"), 1, D(2023, 12, 1), D(2024, 5, 31), "last 6 months"),
    (WindowSpec("last", n=4, unit="quarter"), 1, D(2023, 4, 1), D(2024, 3, 31), "last 4 quarters"),
    (WindowSpec("this", unit="week"), 1, D(2024, 6, 24), D(2024, 6, 27), "this week"),
    (WindowSpec("this", unit="month"), 1, D(2024, 6, 1), D(2024, 6, 27), "this month"),
    (WindowSpec("this", unit="quarter"), 1, D(2024, 4, 1), D(2024, 6, 27), "this quarter"),
    (WindowSpec("this", unit="year"), 1, D(2024, 1, 1), D(2024, 6, 27), "this year"),
    # fiscal year from February: FY2025 runs 1 Feb 2024 – 31 Jan 2025; its Q2 is May–Jul
    (WindowSpec("this", unit="year"), 2, D(2024, 2, 1), D(2024, 6, 27), "this year"),
    (WindowSpec("this", unit="quarter"), 2, D(2024, 5, 1), D(2024, 6, 27), "this quarter"),
    (WindowSpec("previous", unit="week"), 1, D(2024, 6, 17), D(2024, 6, 23), "last week"),
    (WindowSpec("previous", unit="month"), 1, D(2024, 5, 1), D(2024, 5, 31), "last month"),
    (WindowSpec("previous", unit="quarter"), 1, D(2024, 1, 1), D(2024, 3, 31), "last quarter"),
    (WindowSpec("previous", unit="quarter"), 2, D(2024, 2, 1), D(2024, 4, 30), "last quarter"),
    (WindowSpec("previous", unit="year"), 1, D(2023, 1, 1), D(2023, 12, 31), "last year"),
    (WindowSpec("next", n=30, unit="day"), 1, D(2024, 6, 28), D(2024, 7, 27), "next 30 days"),
    (WindowSpec("next", unit="quarter"), 1, D(2024, 7, 1), D(2024, 9, 30), "next quarter"),
    (WindowSpec("year", year=2024), 1, D(2024, 1, 1), D(2024, 12, 31), "2024"),
    (WindowSpec("year", year=2024), 2, D(2023, 2, 1), D(2024, 1, 31), "FY2024"),
    (WindowSpec("quarter", year=2024, number=2), 1, D(2024, 4, 1), D(2024, 6, 30), "Q2 2024"),
    (WindowSpec("quarter", year=2025, number=1), 2, D(2024, 2, 1), D(2024, 4, 30), "FY2025 Q1"),
    (WindowSpec("month", year=2024, number=2), 2, D(2024, 2, 1), D(2024, 2, 29), "Feb 2024"),
    (
        WindowSpec("since", start=D(2024, 6, 1)),
        1,
        D(2024, 6, 1),
        D(2024, 6, 27),
        "since 2024-06-01",
    ),
    (
        WindowSpec("after", start=D(2024, 6, 1)),
        1,
        D(2024, 6, 2),
        D(2024, 6, 27),
        "after 2024-06-01",
    ),
    (WindowSpec("before", end=D(2024, 6, 1)), 1, None, D(2024, 5, 31), "before 2024-06-01"),
    (
        WindowSpec("between", start=D(2024, 5, 1), end=D(2024, 5, 3)),
        1,
        D(2024, 5, 1),
        D(2024, 5, 3),
        "2024-05-01 to 2024-05-03",
    ),
    (WindowSpec("all"), 1, None, None, "all time"),
]


@pytest.mark.parametrize(("spec", "fsm", "start", "end", "label"), WINDOWS)
def test_resolve(
    spec: WindowSpec, fsm: int, start: date | None, end: date | None, label: str
) -> None:
    w = resolve(spec, "this quarter", TODAY, fsm)
    assert (w.start, w.end, w.label) == (start, end, label)


def test_default_window_is_labelled() -> None:
    w = resolve(None, "this quarter", TODAY, 1)
    assert (w.start, w.end, w.label) == (D(2024, 4, 1), D(2024, 6, 27), "this quarter, default")
    assert resolve(None, "all time", TODAY, 1).label == "all time, default"


COMPARISONS = [
    # (window, comparison, today, start, end)
    # full period: last month (May) against all of April
    (WindowSpec("previous", unit="month"), "previous", TODAY, D(2024, 4, 1), D(2024, 4, 30)),
    # a named month: all of February against all of January
    (WindowSpec("month", year=2024, number=2), "previous", TODAY, D(2024, 1, 1), D(2024, 1, 31)),
    (WindowSpec("yesterday"), "previous", TODAY, D(2024, 6, 25), D(2024, 6, 25)),
    (WindowSpec("quarter", year=2024, number=2), "previous", TODAY, D(2024, 1, 1), D(2024, 3, 31)),
    # rolling: 27 May – 26 Jun (31 days) against the 31 days before: 26 Apr – 26 May
    (WindowSpec("last", n=31, unit="day"), "previous", TODAY, D(2024, 4, 26), D(2024, 5, 26)),
    # explicit range of 3 days
    (
        WindowSpec("between", start=D(2024, 5, 1), end=D(2024, 5, 3)),
        "previous",
        TODAY,
        D(2024, 4, 28),
        D(2024, 4, 30),
    ),
    # still running: 1 Apr – 15 May (45 days) against 1 Jan – 14 Feb (kpis.md's example)
    (WindowSpec("this", unit="quarter"), "previous", D(2024, 5, 15), D(2024, 1, 1), D(2024, 2, 14)),
    # several full periods: last 6 months (Dec – May) against the 6 months before (Jun – Nov)
    (WindowSpec("last", n=6, unit="month"), "previous", TODAY, D(2023, 6, 1), D(2023, 11, 30)),
    # last year: one calendar year earlier
    (WindowSpec("this", unit="quarter"), "last_year", TODAY, D(2023, 4, 1), D(2023, 6, 27)),
    # 29 Feb becomes 28 Feb
    (
        WindowSpec("between", start=D(2024, 2, 29), end=D(2024, 3, 1)),
        "last_year",
        TODAY,
        D(2023, 2, 28),
        D(2023, 3, 1),
    ),
    # whole weeks shift by 52 weeks: Mon 17 – Sun 23 Jun 2024 → Mon 19 – Sun 25 Jun 2023
    (WindowSpec("previous", unit="week"), "last_year", TODAY, D(2023, 6, 19), D(2023, 6, 25)),
    (WindowSpec("last", n=2, unit="week"), "last_year", TODAY, D(2023, 6, 12), D(2023, 6, 25)),
]


@pytest.mark.parametrize(("spec", "kind", "today", "start", "end"), COMPARISONS)
def test_compare_window(spec: WindowSpec, kind: str, today: date, start: date, end: date) -> None:
    cur = resolve(spec, "this quarter", today, 1)
    prev = compare_window(Comparison(kind), cur, today, 1)  # type: ignore[arg-type]
    assert (prev.start, prev.end) == (start, end)


def test_weekdays_line_up_for_whole_weeks() -> None:
    cur = resolve(WindowSpec("previous", unit="week"), "this quarter", TODAY, 1)
    prev = compare_window(Comparison("last_year"), cur, TODAY, 1)
    assert prev.start is not None and prev.start.weekday() == 0


def test_vs_a_named_period_is_cut_like_for_like_while_the_current_one_runs() -> None:
    # this quarter = 1 Apr – 27 Jun 2024, 88 days (30 + 31 + 27)
    cur = resolve(WindowSpec("this", unit="quarter"), "this quarter", TODAY, 1)
    last_q = Comparison("window", WindowSpec("previous", unit="quarter"))
    prev = compare_window(last_q, cur, TODAY, 1)
    # 88 days from 1 Jan 2024: 31 (Jan) + 29 (Feb) + 28 → 28 Mar
    assert (prev.start, prev.end, prev.extent) == (D(2024, 1, 1), D(2024, 3, 28), "like for like")
    prev = compare_window(Comparison("window", WindowSpec("year", year=2023)), cur, TODAY, 1)
    # 88 days from 1 Jan 2023: 31 + 28 + 29 → 29 Mar
    assert (prev.start, prev.end) == (D(2023, 1, 1), D(2023, 3, 29))
    # "vs all of last quarter" / "in full": the whole period
    whole = compare_window(Comparison("window", last_q.window, full=True), cur, TODAY, 1)
    assert (whole.start, whole.end, whole.extent) == (D(2024, 1, 1), D(2024, 3, 31), "in full")


def test_the_issue_example_1_to_5_dec_vs_1_to_5_nov() -> None:
    today = D(2026, 12, 5)
    cur = resolve(WindowSpec("this", unit="month"), "this quarter", today, 1)
    prev = compare_window(
        Comparison("window", WindowSpec("previous", unit="month")), cur, today, 1
    )
    assert (prev.start, prev.end) == (D(2026, 11, 1), D(2026, 11, 5))


def test_two_full_named_periods_are_compared_whole() -> None:
    cur = resolve(WindowSpec("year", year=2025), "this quarter", TODAY, 1)
    prev = compare_window(Comparison("window", WindowSpec("year", year=2026)), cur, TODAY, 1)
    assert (prev.start, prev.end, prev.extent) == (D(2026, 1, 1), D(2026, 12, 31), "")


def test_a_window_is_never_compared_with_itself() -> None:
    cur = resolve(WindowSpec("previous", unit="month"), "this quarter", TODAY, 1)
    same = Comparison("window", WindowSpec("month", year=2024, number=5))
    with pytest.raises(Invalid, match="with itself"):
        compare_window(same, cur, TODAY, 1)


@pytest.mark.parametrize(
    ("spec", "start", "end"),
    [
        # Feb 2025 against all of Feb 2024, 29 Feb included
        (WindowSpec("month", year=2025, number=2), D(2024, 2, 1), D(2024, 2, 29)),
        # a leap February against all of the February before: 1 – 28 Feb 2023
        (WindowSpec("month", year=2024, number=2), D(2023, 2, 1), D(2023, 2, 28)),
        # Q1 against Q1
        (WindowSpec("quarter", year=2025, number=1), D(2024, 1, 1), D(2024, 3, 31)),
        # last 3 months on 27 Jun 2024 (Mar – May) against Mar – May 2023
        (WindowSpec("last", n=3, unit="month"), D(2023, 3, 1), D(2023, 5, 31)),
    ],
)
def test_vs_last_year_of_whole_calendar_periods_takes_whole_periods(
    spec: WindowSpec, start: date, end: date
) -> None:
    cur = resolve(spec, "this quarter", TODAY, 1)
    prev = compare_window(Comparison("last_year"), cur, TODAY, 1)
    assert (prev.start, prev.end) == (start, end)


def test_open_window_cannot_be_compared() -> None:
    cur = resolve(WindowSpec("all"), "this quarter", TODAY, 1)
    with pytest.raises(Invalid, match="all time"):
        compare_window(Comparison("previous"), cur, TODAY, 1)


def test_bad_windows_are_invalid() -> None:
    with pytest.raises(Invalid):
        resolve(
            WindowSpec("between", start=D(2024, 5, 3), end=D(2024, 5, 1)), "this quarter", TODAY, 1
        )
    with pytest.raises(Invalid):
        resolve(WindowSpec("quarter", year=2024, number=5), "this quarter", TODAY, 1)
    with pytest.raises(Invalid):
        resolve(WindowSpec("last", n=0, unit="day"), "this quarter", TODAY, 1)
