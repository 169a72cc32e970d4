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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from i18n import Language, t, words

EN = Language.EN
NONE = "—"  # no value (an empty denominator)

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CNY": "¥", "JPY": "¥", "INR": "₹", "KRW": "₩"}
# Date parts stored as the English of a list message (strftime's "%a", "%b" in catalog.yaml):
# dimension → the list that says them in each language.
STORED_AS_WORDS = {"weekday": "weekdays", "month of year": "months"}


def _num(value: Any) -> float | None:
    if type(value) is float:  # most values: DuckDB's doubles
        return None if value != value else value  # NaN is no value
    if value is None:
        return None
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return float(value)


def currency_symbol(currency: str) -> str:
    return _SYMBOLS.get(currency, currency + " ")


def _divisors(lang: Language) -> list[tuple[float, str]]:
    """The catalogue's ``number.compact`` ("1e6 M"; Chinese: 亿 and 万), largest first."""
    out = []
    for entry in words(lang, "number.compact"):
        div, suffix = entry.split(" ", 1)
        out.append((float(div), suffix))
    return out


def compact(x: float, digits: int = 1, lang: Language = EN) -> str:
    """1234 → '1.2k', 3_400_000 → '3.4M' (Chinese: 1.2万, 340万); small numbers as they are."""
    a = abs(x)
    for div, suffix in _divisors(lang):
        if a >= div:
            s = f"{x / div:.{digits}f}".rstrip("0").rstrip(".")
            return s + suffix
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.{digits}f}"


def format_value(
    value: Any, fmt: str, *, currency: str = "USD", short: bool = False, lang: Language = EN
) -> str:
    """A KPI value for people. ``short`` uses 1.2k / 3.4M for counts and money (axes, cards)."""
    return value_formatter(fmt, currency=currency, short=short, lang=lang)(value)


def value_formatter(
    fmt: str, *, currency: str = "USD", short: bool = False, lang: Language = EN
) -> Callable[[Any], str]:
    """``format_value`` for one format, decided once: a table column maps it over its values
    (a 700-rep table has thousands of cells; the format, symbol and template do not change)."""
    if fmt in ("text", "date"):
        return lambda value: format_label(value, lang)
    if fmt == "percent":
        return _or_none(lambda x: f"{x * 100:.1f}%")
    if fmt == "currency":
        sym = currency_symbol(currency)
        if short:
            return _or_none(lambda x: f"{'-' if x < 0 else ''}{sym}{compact(abs(x), lang=lang)}")
        return _or_none(lambda x: f"{'-' if x < 0 else ''}{sym}{abs(x):,.0f}")
    if fmt in _DURATIONS:
        template = t(lang, f"number.{fmt}")  # "{x} h": filled per value below
        return _or_none(lambda x: template.format_map({"x": f"{x:.1f}"}))
    if fmt == "count":
        if short:
            return _or_none(lambda x: compact(x, lang=lang))
        # Counts are whole; a median of two counts may not be (1.5 calls), and is not rounded.
        whole = _or_none(lambda x: f"{x:,.0f}" if x.is_integer() else f"{x:,.1f}")
        return lambda v: f"{v:,}" if type(v) is int else whole(v)  # DuckDB's counts: ints
    # "number": ratios such as calls per deal
    if short:
        return _or_none(lambda x: compact(x, lang=lang) if abs(x) >= 1000 else f"{x:,.1f}")
    return _or_none(lambda x: f"{x:,.1f}")


def _or_none(show: Callable[[float], str]) -> Callable[[Any], str]:
    """``show`` for a number; NONE for no value (None, NaN)."""

    def shown(value: Any) -> str:
        if type(value) is float and value == value:  # most values: DuckDB's doubles
            return show(value)
        x = _num(value)
        return NONE if x is None else show(x)

    return shown


_DURATIONS = frozenset({"hours", "days", "minutes"})


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


def format_points(current: Any, previous: Any, lang: Language = EN) -> str:
    """A rate's change in percentage points: '+0.4 pp', '−0.7 pp', '0.0 pp', '—'
    (Chinese: '▲ 0.4个百分点')."""
    return points_formatter(lang)(current, previous)


def points_formatter(lang: Language = EN) -> Callable[[Any, Any], str]:
    """``format_points`` with the language's three templates looked up once (table columns)."""
    between = shown_points_formatter(lang)
    return lambda current, previous: between(_rate_shown(current), _rate_shown(previous))


def _rate_shown(value: Any) -> str:
    x = _num(value)
    return NONE if x is None or not math.isfinite(x) else f"{x * 100:.1f}%"


def shown_points_formatter(lang: Language = EN) -> Callable[[str, str], str]:
    """A rate's change in points from the two rates as shown ("14.0%", "14.7%": −0.7 pp), so
    the difference adds up on the screen: in tenths of a point, whole numbers read off the
    shown digits (no float rounding). A table has both columns shown already; this reads them
    rather than formatting every rate twice."""
    zero, up, down = (t(lang, f"change.{k}") for k in ("zero", "up", "down"))
    # "+{pp} pp" as the text around the number: one concatenation per cell
    (up_head, _, up_tail), (down_head, _, down_tail) = up.partition("{pp}"), down.partition("{pp}")

    def points(current: str, previous: str) -> str:
        if current == NONE or previous == NONE:
            return NONE
        try:
            tenths = int(current[:-1].replace(".", "", 1)) - int(previous[:-1].replace(".", "", 1))
        except ValueError:  # "inf%": no change to show
            return NONE
        if tenths == 0:
            return zero
        if tenths > 0:
            return f"{up_head}{tenths // 10}.{tenths % 10}{up_tail}"
        return f"{down_head}{-tenths // 10}.{-tenths % 10}{down_tail}"

    return points


def format_change(growth: Any, current: Any, previous: Any, fmt: str, lang: Language = EN) -> str:
    """The change people read: points for rates, else the relative growth ('▲ 12.5%')."""
    return change_formatter(fmt, lang)(growth, current, previous)


def change_formatter(fmt: str, lang: Language = EN) -> Callable[[Any, Any, Any], str]:
    """``format_change`` for one KPI format, decided once: (growth, current, previous) → text."""
    if fmt in CHANGE_IN_POINTS:
        points = points_formatter(lang)
        return lambda _growth, current, previous: points(current, previous)
    return lambda growth, _current, _previous: format_growth(growth)


def change_sign(growth: Any, current: Any, previous: Any, fmt: str) -> float | None:
    """The signed size of the change shown (points for rates), for ▲/▼ colours; None if none."""
    if fmt in CHANGE_IN_POINTS:
        cur, prev = _num(current), _num(previous)
        return None if cur is None or prev is None else cur - prev
    return _num(growth)


def format_as_of(when: datetime, lang: Language = EN) -> str:
    """The one "data as of" text of every surface (CLI, Slack, charts, dashboards, digests), in
    the zone ``when`` carries (the engine gives the org zone), named: 'data as of 5 Dec 2026
    18:00 CST'."""
    zone = when.tzname() or "UTC"
    return t(lang, "as_of", date=format_date(when.date(), lang), time=f"{when:%H:%M}", zone=zone)


def format_label(value: Any, lang: Language = EN) -> str:
    """A dimension value: None → '(none)' / '（空）', dates ISO, everything else as text."""
    if value is None:
        return t(lang, "restate.none")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def format_stored(value: Any, dimension: str, lang: Language = EN) -> str:
    """A value of a date part as stored ("Mon", "Jan") in ``lang`` ("周一", "1月"): the
    dimensions in ``STORED_AS_WORDS``; anything else as a label."""
    return stored_formatter(dimension, lang)(value)


@lru_cache(maxsize=64)
def stored_formatter(dimension: str, lang: Language = EN) -> Callable[[Any], str]:
    """``format_stored`` for one dimension, decided once (a table maps it down a column of
    682 reps: a name stored as text is shown as it is, in one call)."""
    key = STORED_AS_WORDS.get(dimension)
    if key is None:
        return lambda v: v if type(v) is str else format_label(v, lang)
    said = dict(zip(words(EN, key), words(lang, key), strict=True))
    return lambda v: said.get(v) or format_label(v, lang)


def fiscal_year_of(d: date, fiscal_start_month: int) -> int:
    """The fiscal year's name: the calendar year in which it ends."""
    if fiscal_start_month == 1:
        return d.year
    return d.year + 1 if d.month >= fiscal_start_month else d.year


def format_bucket(
    d: date, grain: str, *, fiscal_start_month: int = 1, lang: Language = EN
) -> str:
    """A time bucket (its first day) as people read it: 'Apr 2024', 'FY2025 Q1', 'week of 3 Mar'."""
    if grain == "day":
        return format_date(d, lang)
    if grain == "week":
        return t(lang, "bucket.week", date=format_date(d, lang))
    if grain == "month":
        return t(lang, "bucket.month", month=_month(d, lang), m=d.month, year=d.year)
    fiscal = fiscal_start_month != 1
    fy = fiscal_year_of(d, fiscal_start_month)
    if grain == "quarter":
        q = ((d.month - fiscal_start_month) % 12) // 3 + 1
        return t(lang, "bucket.fiscal_quarter" if fiscal else "bucket.quarter", fy=fy, year=fy, q=q)
    if grain == "year":
        return t(lang, "bucket.fiscal_year" if fiscal else "bucket.year", fy=fy, year=fy)
    return format_label(d, lang)


def _month(d: date, lang: Language) -> str:
    return words(lang, "months")[d.month - 1]


def format_date(d: date, lang: Language = EN) -> str:
    """'27 May 2024' (Chinese: '2024年5月27日')."""
    return t(lang, "date.day", day=d.day, month=_month(d, lang), m=d.month, year=d.year)


def format_range(start: date | None, end: date | None, lang: Language = EN) -> str:
    """'27 May – 26 Jun 2024', '1 – 30 Apr 2024', '28 Dec 2023 – 3 Jan 2024', 'all time'
    (Chinese: '2024年10月1日 – 12月31日')."""
    if start is None and end is None:
        return t(lang, "date.range.all_time")
    if start is None:
        return t(lang, "date.range.up_to", date=format_date(end, lang))  # type: ignore[arg-type]
    if end is None:
        return t(lang, "date.range.since", date=format_date(start, lang))
    if start == end:
        return format_date(start, lang)
    shape = (
        "years"
        if start.year != end.year
        else "same_year" if start.month != end.month else "same_month"
    )
    return t(
        lang,
        f"date.range.{shape}",
        d1=start.day, mon1=_month(start, lang), m1=start.month, y1=start.year,
        d2=end.day, mon2=_month(end, lang), m2=end.month, y2=end.year,
    )


@dataclass(frozen=True)
class DateRange:
    """A window's dates said later, in the reader's language (user errors: i18n.Msg params)."""

    start: date | None
    end: date | None

    def say(self, lang: Language) -> str:
        return format_range(self.start, self.end, lang)
