"""Time windows: a WindowSpec (as the user said it) → concrete dates, and comparison windows.

Every rule here is a line of query-language.md's window table or of kpis.md "Comparisons".
Dates are org-zone dates; quarters and years are fiscal; weeks start on Monday.

>>> resolve(WindowSpec("last", n=31, unit="day"), "this quarter", date(2024, 6, 27), 1).label
'last 31 days'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta

from i18n import Language, Msg, Sayable, Word
from metrics.answer import ResolvedWindow
from metrics.errors import Invalid
from metrics.format import DateRange
from metrics.query import Comparison, WindowSpec

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


def _named(
    start: date | None,
    end: date | None,
    said: Msg,
    shape: str,
    unit: str | None = None,
    n: int = 1,
) -> ResolvedWindow:
    """A window with its name in every language (``said``); ``label`` is the English one."""
    return ResolvedWindow(
        start, end, said.say(Language.EN), shape, unit, n, said=said  # type: ignore[arg-type]
    )


def _count(n: int, unit: str) -> Msg:
    """"31 days" / "31天" (i18n.plural's one/other forms)."""
    return Msg.of(f"units.{unit}.{'one' if n == 1 else 'other'}", n=n)


def _fy_label(fy: int, fiscal_start_month: int) -> Msg:
    key = "bucket.year" if fiscal_start_month == 1 else "bucket.fiscal_year"
    return Msg.of(key, year=fy, fy=fy)


# Dates a window may reach: the years a question can name (grammar/dates.py reads 19xx and 20xx).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2099, 12, 31)


def _out_of_range() -> Invalid:
    return Invalid(
        Msg.of(
            "window.error.out_of_range",
            first=DateRange(FIRST_DAY, FIRST_DAY),
            last=DateRange(LAST_DAY, LAST_DAY),
        )
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
        return _default(default, today, fiscal_start_month)
    kind = _KINDS.get(spec.kind)
    if kind is None:
        raise Invalid(f"I do not know the window kind {spec.kind!r}.")
    return kind(spec, today, fiscal_start_month)


def _default(default: str, today: date, fsm: int) -> ResolvedWindow:
    if default not in DEFAULT_WINDOWS:
        raise Invalid(f'The default window "{default}" is not one of {", ".join(DEFAULT_WINDOWS)}.')
    w = resolve(DEFAULT_WINDOWS[default], default, today, fsm)
    return _named(w.start, w.end, Msg.of("window.default", name=w.said), w.shape, w.unit, w.n)


# ---- one function a window kind (WindowSpec.kind); _KINDS below is their table ----

_ONE = timedelta(days=1)


def _today(spec: WindowSpec, today: date, fsm: int) -> ResolvedWindow:
    return _named(today, today, Msg("window.today"), "full", "day")


def _yesterday(spec: WindowSpec, today: date, fsm: int) -> ResolvedWindow:
    return _named(today - _ONE, today - _ONE, Msg("window.previous.day"), "full", "day")


def _all(spec: WindowSpec, today: date, fsm: int) -> ResolvedWindow:
    return _named(None, None, Msg("date.range.all_time"), "open")


def _last(spec: WindowSpec, today: date, fsm: int) -> ResolvedWindow:
    unit = spec.unit or "day"
    n = _positive(spec.n, "last")
    if unit == "day":
        return _named(
            today - timedelta(days=n),
            today - _ONE,
            Msg.of("window.last", count=_count(n, "day")),
            "rolling",
            "day",
            n,
        )
    cur = period_start(today, unit, fsm)
    start = shift_periods(cur, unit, -n)
    said = Msg.of("window.last", count=_count(n, unit))
    return _named(start, cur - _ONE, said, "periods", unit, n)


def _this(spec: WindowSpec, today: date, fsm: int) -> ResolvedWindow:
    unit = spec.unit or "day"
    return _named(
        period_start(today, unit, fsm), today, Msg(f"window.this.{unit}"), "to_date", unit
    )


def _previous(spec: WindowSpec, today: date, fsm: int) -> ResolvedWindow:
    unit = spec.unit or "day"
    start = shift_periods(period_start(today, unit, fsm), unit, -1)
    s, e = _period(start, unit)
    return _named(s, e, Msg(f"window.previous.{unit}"), "full", unit)


def _next(spec: WindowSpec, today: date, fsm: int) -> ResolvedWindow:
    unit = spec.unit or "day"
    if spec.n is not None:
        n = _positive(spec.n, "next")
        if unit == "day":
            return _named(
                today + _ONE,
                today + timedelta(days=n),
                Msg.of("window.next", count=_count(n, "day")),
                "rolling",
                "day",
                n,
            )
        start = shift_periods(period_start(today, unit, fsm), unit, 1)
        end = shift_periods(start, unit, n) - _ONE
        said = Msg.of("window.next", count=_count(n, unit))
        return _named(start, end, said, "periods", unit, n)
    s, e = _period(shift_periods(period_start(today, unit, fsm), unit, 1), unit)
    return _named(s, e, Msg(f"window.following.{unit}"), "full", unit)


def _year(spec: WindowSpec, today: date, fsm: int) -> ResolvedWindow:
    fy = _required(spec.year, "year")
    s, e = _period(fiscal_year_start(fy, fsm), "year")
    return _named(s, e, _fy_label(fy, fsm), "full", "year")


def _quarter(spec: WindowSpec, today: date, fsm: int) -> ResolvedWindow:
    q = _required(spec.number, "quarter")
    if not 1 <= q <= 4:
        raise Invalid(Msg.of("window.error.no_quarter", q=q))
    fy = spec.year if spec.year is not None else _latest_fy_with(q, today, fsm)
    s, e = _period(add_months(fiscal_year_start(fy, fsm), 3 * (q - 1)), "quarter")
    key = "bucket.quarter" if fsm == 1 else "bucket.fiscal_quarter"
    return _named(s, e, Msg.of(key, q=q, year=fy, fy=fy), "full", "quarter")


def _month(spec: WindowSpec, today: date, fsm: int) -> ResolvedWindow:
    m = _required(spec.number, "month")
    if not 1 <= m <= 12:
        raise Invalid(Msg.of("window.error.no_month", m=m))
    # "in May" without a year: the most recent May that has begun (this one, or last year's).
    y = spec.year if spec.year is not None else today.year - (m > today.month)
    s, e = _period(date(y, m, 1), "month")
    said = Msg.of("bucket.month", month=Word("months", m - 1), m=m, year=y)
    return _named(s, e, said, "full", "month")


def _since(spec: WindowSpec, today: date, fsm: int) -> ResolvedWindow:
    d = _required(spec.start, "date")
    return _named(d, today, Msg.of("window.since", date=d.isoformat()), "rolling", "day")


def _after(spec: WindowSpec, today: date, fsm: int) -> ResolvedWindow:
    d = _required(spec.start, "date")
    return _named(d + _ONE, today, Msg.of("window.after", date=d.isoformat()), "rolling", "day")


def _before(spec: WindowSpec, today: date, fsm: int) -> ResolvedWindow:
    d = _required(spec.end or spec.start, "date")
    return _named(None, d - _ONE, Msg.of("window.before", date=d.isoformat()), "open")


def _between(spec: WindowSpec, today: date, fsm: int) -> ResolvedWindow:
    a, b = _required(spec.start, "date"), _required(spec.end, "date")
    if b < a:
        raise Invalid(Msg.of("grammar.range_reversed", end=b.isoformat(), start=a.isoformat()))
    said = Msg.of("window.between", start=a.isoformat(), end=b.isoformat())
    return _named(a, b, said, "rolling", "day")


_KINDS: dict[str, Callable[[WindowSpec, date, int], ResolvedWindow]] = {
    "today": _today,
    "yesterday": _yesterday,
    "all": _all,
    "last": _last,
    "this": _this,
    "previous": _previous,
    "next": _next,
    "year": _year,
    "quarter": _quarter,
    "month": _month,
    "since": _since,
    "after": _after,
    "before": _before,
    "between": _between,
}


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
    """The window a comparison looks back to (kpis.md, Comparisons): within FIRST_DAY..LAST_DAY,
    never the current window itself."""
    prev = _bounded(lambda: _compare_window(cmp, current, today, fiscal_start_month))
    if (prev.start, prev.end) == (current.start, current.end):
        raise Invalid(
            Msg.of(
                "window.error.with_itself",
                name=_undefaulted(current),
                range=DateRange(current.start, current.end),
            )
        )
    return prev


def _undefaulted(w: ResolvedWindow) -> Sayable:
    """The window's name without ", default" (an error quotes the window, not our choice)."""
    said = w.said if w.said is not None else w.label
    if isinstance(said, Msg) and said.key == "window.default":
        inner = said.params["name"]
        return inner if isinstance(inner, Msg) else Msg.of("window.as_is", name=inner)
    return said if not isinstance(said, str) else Msg.of("window.as_is", name=said)


def _compare_window(
    cmp: Comparison, current: ResolvedWindow, today: date, fiscal_start_month: int
) -> ResolvedWindow:
    if cmp.kind == "window":
        if cmp.window is None:
            raise Invalid(Msg("window.error.which"))
        named = resolve(cmp.window, "this quarter", today, fiscal_start_month)
        return _like_for_like(named, current, cmp.full)
    if current.start is None or current.end is None:
        raise Invalid(Msg.of("window.error.no_start", name=_undefaulted(current)))
    start, end = current.start, current.end
    if cmp.kind == "last_year":
        return _a_year_earlier(current, start, end)
    # vs previous period
    if cmp.unit is not None:
        _check_unit(cmp.unit, current)
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
    said = Msg(f"window.previous_unit.{cmp.unit}" if cmp.unit else "window.previous_period")
    prev = _named(s, e, said, "rolling", "day")
    # A period still running against as many days of the one before: said, as for "vs last month".
    return replace(prev, extent="like for like") if current.shape == "to_date" else prev


def _check_unit(unit: str, current: ResolvedWindow) -> None:
    """"vs previous quarter" needs one quarter (whole or to date) to compare: "last quarter vs
    previous month" or "last 30 days vs previous month" would compare unlike periods."""
    one = current.shape in ("full", "to_date") or (current.shape == "periods" and current.n == 1)
    if current.unit != unit or not one:
        raise Invalid(
            Msg.of(
                f"window.error.not_one.{unit}",
                name=_undefaulted(current),
                range=DateRange(current.start, current.end),
            )
        )


def _like_for_like(named: ResolvedWindow, current: ResolvedWindow, full: bool) -> ResolvedWindow:
    """A named full period against a window still running: its first as many days, unless the
    user asked for all of it ("1 – 5 Dec vs 1 – 5 Nov"; kpis.md, Comparisons)."""
    days = current.days
    if current.shape != "to_date" or named.shape != "full" or named.start is None or not days:
        return named
    if full:
        return replace(named, extent="in full")
    end = named.start + timedelta(days=days - 1)
    if named.end is None or end >= named.end:
        return named  # as long as the running window, or longer: nothing to cut
    return replace(named, end=end, extent="like for like")


def _a_year_earlier(current: ResolvedWindow, start: date, end: date) -> ResolvedWindow:
    """Whole calendar months, quarters, years: the same whole periods a year earlier (29 Feb
    included); whole weeks: 52 weeks earlier, so weekdays line up; else dates a year earlier."""
    whole = current.shape in ("full", "periods")
    if whole and current.unit in _UNIT_MONTHS:
        s = add_months(start, -12)
        e = add_months(end + timedelta(days=1), -12) - timedelta(days=1)
    elif whole and current.unit == "week":
        s, e = start - timedelta(weeks=52), end - timedelta(weeks=52)
    else:
        s, e = _shift_year(start, -1), _shift_year(end, -1)
    return _named(s, e, Msg("window.year_earlier"), "rolling", "day")
