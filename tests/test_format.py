"""Values as people read them (CLI, charts, Slack share these)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from metrics.format import compact, format_bucket, format_growth, format_range, format_value


@pytest.mark.parametrize(
    ("value", "fmt", "expected"),
    [
        (0.1793, "percent", "17.9%"),
        (None, "percent", "—"),
        (48250, "currency", "$48,250"),
        (Decimal("1234567.5"), "currency", "$1,234,568"),
        (12.25, "hours", "12.2 h"),
        (41.5, "days", "41.5 d"),
        (1234, "count", "1,234"),
        (26.666, "number", "26.7"),
    ],
)
def test_format_value(value: object, fmt: str, expected: str) -> None:
    assert format_value(value, fmt) == expected


def test_short_money_and_counts() -> None:
    assert format_value(3_400_000, "currency", short=True) == "$3.4M"
    assert format_value(1200, "count", short=True) == "1.2k"
    assert format_value(950, "currency", currency="CNY", short=True) == "¥950"
    assert compact(1000) == "1k"


def test_growth_arrows() -> None:
    assert format_growth(0.125) == "▲ 12.5%"
    assert format_growth(-0.03) == "▼ 3.0%"
    assert format_growth(None) == "—"


def test_buckets() -> None:
    assert format_bucket(date(2024, 4, 1), "month") == "Apr 2024"
    assert format_bucket(date(2024, 4, 1), "quarter", fiscal_start_month=4) == "FY2025 Q1"
    assert format_bucket(date(2024, 4, 1), "quarter") == "Q2 2024"
    assert format_bucket(date(2025, 3, 3), "week") == "week of 3 Mar 2025"
    assert format_bucket(date(2024, 2, 1), "year", fiscal_start_month=2) == "FY2025"


def test_ranges() -> None:
    assert format_range(date(2024, 5, 27), date(2024, 6, 26)) == "27 May – 26 Jun 2024"
    assert format_range(date(2024, 4, 1), date(2024, 4, 30)) == "1 – 30 Apr 2024"
    assert format_range(date(2023, 12, 28), date(2024, 1, 3)) == "28 Dec 2023 – 3 Jan 2024"
    assert format_range(None, None) == "all time"
