"""Time windows: a WindowSpec (as the user said it) → concrete dates, and comparison windows.

Every rule here is a line of query-language.md's window table or of kpis.md "Comparisons".
Dates are org-zone dates; quarters and years are fiscal; weeks start on Monday.

>>> resolve(WindowSpec("last", n=31, unit="day"), "this quarter", date(2024, 6, 27), 1).label
'last 31 days'
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from metrics.answer import ResolvedWindow
from metrics.errors import Invalid
from metrics.query import Comparison, WindowSpec

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_UNIT_MONTHS = {"month": 1, "quarter": 3, "year": 12}

# The default windows a catalog entry may name (``default_window``), as specs.
DEFAULT_WINDOWS: dict[str, WindowSpec] = {
    "this week": WindowSpec("this", unit="week"),
    "this month": WindowSpec("this", unit="month"),
    "this quarter": WindowSpec("this", unit="quarter"),
    "this year": WindowSpec("this", unit="year"),
    "last 7 days": WindowSpec("last", n=7, unit="day"),
    "last 30 days": WindowSpec("last", n=30, unit="day"),
    "all time": WindowSpec("all"),
}


def add_months(d: date, months: int) -> date:
    """``d`` moved by whole months, the day clipped to the month's length (31 Mar − 1 → 29 Feb)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    day = min(d.day, _month_length(year, month))
    return date(year, month, day)


def _month_length(year: int, month: int) -> int:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return (nxt - timedelta(days=1)).day


def period_start(d: date, unit: str, fiscal_start_month: int) -> date:
    """First day of the period of ``unit`` holding ``d`` (Monday weeks, fiscal quarters/years)."""
    if unit == "day":
        return d
    if unit == "week":
        return d - timedelta(days=d.weekday())
    if unit == "month":
        return d.replace(day=1)
    size = _UNIT_MONTHS[unit]
    offset = (d.month - fiscal_start_month) % size
    return add_months(d.replace(day=1), -offset)


def shift_periods(start: date, unit: str, n: int) -> date:
    """A period start moved by ``n`` periods of ``unit``."""
    if unit == "day":
        return start + timedelta(days=n)
    if unit == "week":
        return start + timedelta(weeks=n)
    return add_months(start, n * _UNIT_MONTHS[unit])


def _period(start: date, unit: str) -> tuple[date, date]:
    return start, shift_periods(start, unit, 1) - timedelta(days=1)


def fiscal_year_start(fy: int, fiscal_start_month: int) -> date:
    """FY``fy`` is named after the calendar year in which it ends."""
    return date(fy if fiscal_start_month == 1 else fy - 1, fiscal_start_month, 1)


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def _fy_label(fy: int, fiscal_start_month: int) -> str:
    return str(fy) if fiscal_start_month == 1 else f"FY{fy}"


# Dates a window may reach: the years a question can name (grammar/dates.py reads 19xx and 20xx).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2099, 12, 31)


def _out_of_range() -> Invalid:
    return Invalid(
        f"That window reaches past the dates I can answer for, {FIRST_DAY:%-d %b %Y} to "
        f"{LAST_DAY:%-d %b %Y}; ask for a shorter one, e.g. last 10 years."
    )


def _bounded(window: Callable[[], ResolvedWindow]) -> ResolvedWindow:
    """``window()``, refused when it reaches outside FIRST_DAY..LAST_DAY or past what dates
    can hold at all (date arithmetic raises OverflowError or "year … is out of range")."""
    try:
        w = window()
    except (OverflowError, ValueError) as e:
        if isinstance(e, OverflowError) or "out of range" in str(e):
            raise _out_of_range() from None
        raise
    if any(d is not None and not FIRST_DAY <= d <= LAST_DAY for d in (w.start, w.end)):
        raise _out_of_range()
    return w


def resolve(
    spec: WindowSpec | None, default: str, today: date, fiscal_start_month: int
) -> ResolvedWindow:
    """Concrete dates for a window; ``spec`` None takes the metric's ``default`` (labelled so).
    A window reaching outside FIRST_DAY..LAST_DAY is refused (``last 99999 years``)."""
    return _bounded(lambda: _resolve(spec, default, today, fiscal_start_month))


def _resolve(
    spec: WindowSpec | None, default: str, today: date, fiscal_start_month: int
) -> ResolvedWindow:
    if spec is None:
        if default not in DEFAULT_WINDOWS:
            raise Invalid(
                f'The default window "{default}" is not one of {", ".join(DEFAULT_WINDOWS)}.'
            )
        w = resolve(DEFAULT_WINDOWS[default], default, today, fiscal_start_month)
        return ResolvedWindow(w.start, w.end, f"{w.label}, default", w.shape, w.unit, w.n)
    fsm = fiscal_start_month
    k = spec.kind
    one = timedelta(days=1)
    if k == "today":
        return ResolvedWindow(today, today, "today", "full", "day")
    if k == "yesterday":
        return ResolvedWindow(today - one, today - one, "yesterday", "full", "day")
    if k == "all":
        return ResolvedWindow(None, None, "all time", "open")
    unit = spec.unit or "day"
    if k == "last":
        n = _positive(spec.n, "last")
        if unit == "day":
            return ResolvedWindow(
                today - timedelta(days=n),
                today - one,
                f"last {_plural(n, 'day')}",
                "rolling",
                "day",
                n,
            )
        cur = period_start(today, unit, fsm)
        start = shift_periods(cur, unit, -n)
        return ResolvedWindow(start, cur - one, f"last {_plural(n, unit)}", "periods", unit, n)
    if k == "this":
        return ResolvedWindow(
            period_start(today, unit, fsm), today, f"this {unit}", "to_date", unit
        )
    if k == "previous":
        start = shift_periods(period_start(today, unit, fsm), unit, -1)
        s, e = _period(start, unit)
        return ResolvedWindow(s, e, "yesterday" if unit == "day" else f"last {unit}", "full", unit)
    if k == "next":
        if spec.n is not None:
            n = _positive(spec.n, "next")
            if unit == "day":
                return ResolvedWindow(
                    today + one,
                    today + timedelta(days=n),
                    f"next {_plural(n, 'day')}",
                    "rolling",
                    "day",
                    n,
                )
            start = shift_periods(period_start(today, unit, fsm), unit, 1)
            end = shift_periods(start, unit, n) - one
            return ResolvedWindow(start, end, f"next {_plural(n, unit)}", "periods", unit, n)
        s, e = _period(shift_periods(period_start(today, unit, fsm), unit, 1), unit)
        return ResolvedWindow(s, e, "tomorrow" if unit == "day" else f"next {unit}", "full", unit)
    if k == "year":
        fy = _required(spec.year, "year")
        s, e = _period(fiscal_year_start(fy, fsm), "year")
        return ResolvedWindow(s, e, _fy_label(fy, fsm), "full", "year")
    if k == "quarter":
        q = _required(spec.number, "quarter")
        if not 1 <= q <= 4:
            raise Invalid(f"There is no quarter {q}; quarters are Q1 to Q4.")
        fy = spec.year if spec.year is not None else _latest_fy_with(q, today, fsm)
        s, e = _period(add_months(fiscal_year_start(fy, fsm), 3 * (q - 1)), "quarter")
        label = f"Q{q} {fy}" if fsm == 1 else f"FY{fy} Q{q}"
        return ResolvedWindow(s, e, label, "full", "quarter")
    if k == "month":
        m = _required(spec.number, "month")
        if not 1 <= m <= 12:
            raise Invalid(f"There is no month {m}; months are 1 to 12.")
        # "in May" without a year: the most recent May that has begun (this one, or last year's).
        y = spec.year if spec.year is not None else today.year - (m > today.month)
        s, e = _period(date(y, m, 1), "month")
        return ResolvedWindow(s, e, f"{_MONTHS[m - 1]} {y}", "full", "month")
    if k == "since":
        d = _required(spec.start, "date")
        return ResolvedWindow(d, today, f"since {d.isoformat()}", "rolling", "day")
    if k == "after":
        d = _required(spec.start, "date")
        return ResolvedWindow(d + one, today, f"after {d.isoformat()}", "rolling", "day")
    if k == "before":
        d = _required(spec.end or spec.start, "date")
        return ResolvedWindow(None, d - one, f"before {d.isoformat()}", "open")
    if k == "between":
        a, b = _required(spec.start, "date"), _required(spec.end, "date")
        if b < a:
            raise Invalid(f"The window ends ({b.isoformat()}) before it starts ({a.isoformat()}).")
        return ResolvedWindow(a, b, f"{a.isoformat()} to {b.isoformat()}", "rolling", "day")
    raise Invalid(f"I do not know the window kind {k!r}.")


def _latest_fy_with(q: int, today: date, fiscal_start_month: int) -> int:
    """The fiscal year of the most recent quarter ``q`` that has begun by ``today`` ("Q2")."""
    cur = period_start(today, "year", fiscal_start_month)
    fy = cur.year + (fiscal_start_month != 1)  # FY named after the calendar year it ends in
    if add_months(fiscal_year_start(fy, fiscal_start_month), 3 * (q - 1)) > today:
        fy -= 1
    return fy


def _positive(n: int | None, kind: str) -> int:
    if n is None or n < 1:
        raise Invalid(f'"{kind} N" needs a number of at least 1.')
    return n


def _required(v: object, what: str):  # type: ignore[no-untyped-def]
    if v is None:
        raise Invalid(f"This window needs a {what}.")
    return v


def _shift_year(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 Feb in a year without one
        return date(d.year + years, 2, 28)


def compare_window(
    cmp: Comparison, current: ResolvedWindow, today: date, fiscal_start_month: int
) -> ResolvedWindow:
    """The window a comparison looks back to (kpis.md, Comparisons); within FIRST_DAY..LAST_DAY."""
    return _bounded(lambda: _compare_window(cmp, current, today, fiscal_start_month))


def _compare_window(
    cmp: Comparison, current: ResolvedWindow, today: date, fiscal_start_month: int
) -> ResolvedWindow:
    if cmp.kind == "window":
        if cmp.window is None:
            raise Invalid("Compare with which window? e.g. vs last quarter.")
        return resolve(cmp.window, "this quarter", today, fiscal_start_month)
    if current.start is None or current.end is None:
        raise Invalid(
            f"I cannot compare {current.label.removesuffix(', default')} with an earlier period: "
            "it has no start. Name a window, e.g. this quarter vs last year."
        )
    start, end = current.start, current.end
    if cmp.kind == "last_year":
        if current.unit == "week" and current.shape in ("full", "periods"):
            # Whole weeks shift by 52 weeks so that weekdays line up.
            return ResolvedWindow(
                start - timedelta(weeks=52),
                end - timedelta(weeks=52),
                "last year",
                "rolling",
                "day",
            )
        return ResolvedWindow(
            _shift_year(start, -1), _shift_year(end, -1), "last year", "rolling", "day"
        )
    # vs previous period
    days = current.days or 1
    unit = current.unit or "day"
    if current.shape == "full":
        s, e = _period(shift_periods(start, unit, -1), unit)
    elif current.shape == "periods":
        s, e = shift_periods(start, unit, -current.n), start - timedelta(days=1)
    elif current.shape == "to_date":
        s = shift_periods(start, unit, -1)
        e = s + timedelta(days=days - 1)
    else:  # rolling or explicit range: the same number of days just before
        s, e = start - timedelta(days=days), start - timedelta(days=1)
    return ResolvedWindow(s, e, "previous period", "rolling", "day")
