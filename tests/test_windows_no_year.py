"""A quarter or month named without a year is the most recent one that has begun by today."""

from __future__ import annotations

from datetime import date

import pytest

from metrics.query import WindowSpec
from metrics.windows import resolve

TODAY = date(2024, 6, 27)


@pytest.mark.parametrize(
    ("kind", "number", "fsm", "start", "end", "label"),
    [
        ("month", 5, 1, date(2024, 5, 1), date(2024, 5, 31), "May 2024"),
        ("month", 6, 1, date(2024, 6, 1), date(2024, 6, 30), "Jun 2024"),  # running month
        ("month", 12, 1, date(2023, 12, 1), date(2023, 12, 31), "Dec 2023"),
        ("quarter", 2, 1, date(2024, 4, 1), date(2024, 6, 30), "Q2 2024"),
        ("quarter", 3, 1, date(2023, 7, 1), date(2023, 9, 30), "Q3 2023"),
        # Fiscal year from April: FY2025 runs Apr 2024 – Mar 2025; its Q1 has begun, Q2 not.
        ("quarter", 1, 4, date(2024, 4, 1), date(2024, 6, 30), "FY2025 Q1"),
        ("quarter", 2, 4, date(2023, 7, 1), date(2023, 9, 30), "FY2024 Q2"),
        ("quarter", 4, 4, date(2024, 1, 1), date(2024, 3, 31), "FY2024 Q4"),
    ],
)
def test_latest_period_up_to_today(
    kind: str, number: int, fsm: int, start: date, end: date, label: str
) -> None:
    w = resolve(WindowSpec(kind, number=number), "this quarter", TODAY, fsm)  # type: ignore[arg-type]
    assert (w.start, w.end, w.label) == (start, end, label)


def test_a_given_year_is_kept() -> None:
    w = resolve(WindowSpec("quarter", year=2022, number=3), "this quarter", TODAY, 1)
    assert (w.start, w.end) == (date(2022, 7, 1), date(2022, 9, 30))
