"""How values are shown to people: one place for the CLI table, charts, Slack and digests.

Data stays raw (rates as fractions, money as plain numbers); these functions only render.

>>> format_value(0.1793, "percent")
'17.9%'
>>> format_value(48250, "currency", currency="USD")
'$48,250'
>>> compact(3_400_000)
'3.4M'
>>> format_bucket(date(2024, 4, 1), "quarter", fiscal_start_month=4)
'FY2025 Q1'
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any

NONE = "—"  # no value (an empty denominator)
EMPTY_DIMENSION = "(none)"

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CNY": "¥", "JPY": "¥", "INR": "₹", "KRW": "₩"}
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _num(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return float(value)


def currency_symbol(currency: str) -> str:
    return _SYMBOLS.get(currency, currency + " ")


def compact(x: float, digits: int = 1) -> str:
    """1234 → '1.2k', 3_400_000 → '3.4M'; small numbers as they are."""
    a = abs(x)
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            s = f"{x / div:.{digits}f}".rstrip("0").rstrip(".")
            return s + suffix
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.{digits}f}"


def format_value(value: Any, fmt: str, *, currency: str = "USD", short: bool = False) -> str:
    """A KPI value for people. ``short`` uses 1.2k / 3.4M for counts and money (axes, cards)."""
    if fmt in ("text", "date"):
        return format_label(value)
    x = _num(value)
    if x is None:
        return NONE
    if fmt == "percent":
        return f"{x * 100:.1f}%"
    if fmt == "currency":
        sym = currency_symbol(currency)
        sign = "-" if x < 0 else ""
        body = compact(abs(x)) if short else f"{abs(x):,.0f}"
        return f"{sign}{sym}{body}"
    if fmt == "hours":
        return f"{x:.1f} h"
    if fmt == "days":
        return f"{x:.1f} d"
    if fmt == "minutes":
        return f"{x:.1f} min"
    if fmt == "count":
        return compact(x) if short else f"{x:,.0f}"
    # "number": ratios such as calls per deal
    return compact(x) if short and abs(x) >= 1000 else f"{x:,.1f}"


def format_growth(value: Any) -> str:
    """Growth as a signed percentage with an arrow: '▲ 12.5%', '▼ 3.0%', '—'."""
    x = _num(value)
    if x is None:
        return NONE
    if x > 0:
        return f"▲ {x * 100:.1f}%"
    if x < 0:
        return f"▼ {abs(x) * 100:.1f}%"
    return "0.0%"


# How a KPI's change against the other window is shown to people, by the KPI's format: a
# rate's change in percentage points (14.0% vs 14.7% is −0.7 pp, not ▼ 4.8%); anything else
# relative. JSON's "<kpi> growth" stays relative for every KPI (kpis.md, Comparisons).
CHANGE_IN_POINTS = frozenset({"percent"})


def format_points(current: Any, previous: Any) -> str:
    """A rate's change in percentage points: '+0.4 pp', '−0.7 pp', '0.0 pp', '—'."""
    cur, prev = _num(current), _num(previous)
    if cur is None or prev is None:
        return NONE
    # From the rates as shown (14.0% vs 14.7%), so the difference adds up on the screen.
    pp = round(round(cur * 100, 1) - round(prev * 100, 1), 1)
    if pp == 0:
        return "0.0 pp"
    return f"{'+' if pp > 0 else '−'}{abs(pp):.1f} pp"


def format_change(growth: Any, current: Any, previous: Any, fmt: str) -> str:
    """The change people read: points for rates, else the relative growth ('▲ 12.5%')."""
    if fmt in CHANGE_IN_POINTS:
        return format_points(current, previous)
    return format_growth(growth)


def change_sign(growth: Any, current: Any, previous: Any, fmt: str) -> float | None:
    """The signed size of the change shown (points for rates), for ▲/▼ colours; None if none."""
    if fmt in CHANGE_IN_POINTS:
        cur, prev = _num(current), _num(previous)
        return None if cur is None or prev is None else cur - prev
    return _num(growth)


def format_as_of(when: datetime) -> str:
    """The one "data as of" text of every surface (CLI, Slack, charts, dashboards, digests), in
    the zone ``when`` carries (the engine gives the org zone), named: 'data as of 5 Dec 2026
    18:00 CST'."""
    zone = when.tzname() or "UTC"
    return f"data as of {format_date(when.date())} {when:%H:%M} {zone}"


def format_label(value: Any) -> str:
    """A dimension value: None → '(none)', dates ISO, everything else as text."""
    if value is None:
        return EMPTY_DIMENSION
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def fiscal_year_of(d: date, fiscal_start_month: int) -> int:
    """The fiscal year's name: the calendar year in which it ends."""
    if fiscal_start_month == 1:
        return d.year
    return d.year + 1 if d.month >= fiscal_start_month else d.year


def format_bucket(d: date, grain: str, *, fiscal_start_month: int = 1) -> str:
    """A time bucket (its first day) as people read it: 'Apr 2024', 'FY2025 Q1', 'week of 3 Mar'."""
    if grain == "day":
        return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"
    if grain == "week":
        return f"week of {d.day} {_MONTHS[d.month - 1]} {d.year}"
    if grain == "month":
        return f"{_MONTHS[d.month - 1]} {d.year}"
    if grain == "quarter":
        fy = fiscal_year_of(d, fiscal_start_month)
        q = ((d.month - fiscal_start_month) % 12) // 3 + 1
        return f"FY{fy} Q{q}" if fiscal_start_month != 1 else f"Q{q} {fy}"
    if grain == "year":
        fy = fiscal_year_of(d, fiscal_start_month)
        return f"FY{fy}" if fiscal_start_month != 1 else str(fy)
    return format_label(d)


def format_date(d: date) -> str:
    """'27 May 2024'."""
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def format_range(start: date | None, end: date | None) -> str:
    """'27 May – 26 Jun 2024', '1 – 30 Apr 2024', '28 Dec 2023 – 3 Jan 2024', 'all time'."""
    if start is None and end is None:
        return "all time"
    if start is None:
        return f"up to {format_date(end)}"  # type: ignore[arg-type]
    if end is None:
        return f"since {format_date(start)}"
    if start == end:
        return format_date(start)
    if start.year != end.year:
        return f"{format_date(start)} – {format_date(end)}"
    if start.month != end.month:
        return f"{start.day} {_MONTHS[start.month - 1]} – {format_date(end)}"
    return f"{start.day} – {format_date(end)}"
