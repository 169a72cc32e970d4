"""A question ready to run on any engine: its windows resolved (a period still running, the
pipeline's whole period ahead), its tree compiled (cached by shape) and its values bound.

>>> prepare(Query(metrics=("calls",)), catalog=cat, settings=OrgSettings(),
...     today=date(2024, 6, 27)).params["cur_start"]  # doctest: +SKIP
datetime.date(2024, 4, 1)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from metrics import buckets
from metrics.ahead import ahead_metrics, whole_period_ahead, widened
from metrics.answer import ResolvedWindow
from metrics.catalog import Catalog
from metrics.compiler import Compiled, compile_query, effective_query, query_params
from metrics.params import ahead_end_of, midnight, settings_params, window_params
from metrics.query import Query
from metrics.refusals import refuse_the_future
from metrics.scope import EVERYONE, Scope
from metrics.settings import OrgSettings
from metrics.windows import compare_window, resolve

_GRAIN_MONTHS = {"month": 1, "quarter": 3, "year": 12}


@dataclass(frozen=True)
class Prepared:
    """A question ready to run on any engine: its compiled tree and bound values."""

    compiled: Compiled
    params: dict[str, Any]
    window: ResolvedWindow
    cmp_window: ResolvedWindow | None
    grain: str | None
    grid: tuple[date, ...] | None
    # Where records that can lie ahead stop in the current window (its end unless it is a
    # period still running).
    ahead_end: date | None = None


def prepare(
    query: Query,
    *,
    catalog: Catalog,
    settings: OrgSettings,
    today: date,
    pinned: bool = True,
    scope: Scope = EVERYONE,
    rollups: frozenset[str] = frozenset(),
) -> Prepared:
    """Resolve the windows, compile (cached by shape) and bind this question's values.
    ``rollups``: the catalog's rollups the snapshot can answer from (metrics.rollups.usable)."""
    window, cmp_window = _windows(query, catalog, settings, today)
    shift = bucket_shift(query, catalog, window, cmp_window)
    grain = time_grain(query, catalog)
    fiscal = settings.fiscal_year_start_month
    looks_ahead = bool(ahead_metrics(query, catalog))
    ahead_end = ahead_end_of(window, window, fiscal) if looks_ahead else window.end
    grid = (
        buckets.grid(widened(window, ahead_end), grain, fiscal)
        if grain is not None and not _time_filtered(query, catalog)
        else None
    )
    compiled: Compiled = compile_query(
        query,
        catalog,
        window=(window.start is not None, window.end is not None),
        compare_window=(
            (cmp_window.start is not None, cmp_window.end is not None)
            if cmp_window
            else (True, True)
        ),
        bucket_shift=shift[0] if shift else None,
        grid=grid is not None,
        scoped=scope.restricted,
        ranged=0 if scope.ranges is None else max(1, len(scope.ranges)),
        rollups=rollups,
    )
    now = midnight(today + timedelta(days=1), settings) if pinned else datetime.now(settings.tz)
    values: dict[str, Any] = {
        **settings_params(settings),
        "now": now,
        **_window_values(window, cmp_window, settings, ahead_end, looks_ahead),
        **query_params(query, catalog, compiled),
        **({"bucket_shift": shift[1]} if shift else {}),
        **({"grid": list(grid)} if grid is not None else {}),
        "scope_owners": list(scope.owners or ()),
        **scope.range_params(),
    }
    params = {name: values[name] for name in compiled.params}
    return Prepared(
        compiled,
        params,
        window,
        cmp_window,
        grain,
        tuple(grid) if grid is not None else None,
        ahead_end,
    )


def _window_values(
    window: ResolvedWindow,
    cmp_window: ResolvedWindow | None,
    settings: OrgSettings,
    ahead_end: date | None,
    looks_ahead: bool,
) -> dict[str, Any]:
    """Both windows' bound values; ``ahead_end``: where records that can lie ahead stop in the
    current window; in the compared one (``looks_ahead``) they stop like for like."""
    fiscal = settings.fiscal_year_start_month
    return {
        **window_params("cur", window, settings, ahead_end),
        **(
            window_params(
                "prev",
                cmp_window,
                settings,
                ahead_end_of(cmp_window, window, fiscal) if looks_ahead else cmp_window.end,
            )
            if cmp_window
            else {}
        ),
    }


def _windows(
    query: Query, catalog: Catalog, settings: OrgSettings, today: date
) -> tuple[ResolvedWindow, ResolvedWindow | None]:
    """The question's window and the one it is compared with, each refused when it has not
    begun and its KPIs can only count the past."""
    window = whole_period_ahead(
        query,
        catalog,
        _still_running(
            query,
            resolve(
                query.window,
                default_window_of(query, catalog),
                today,
                settings.fiscal_year_start_month,
            ),
            today,
        ),
    )
    refuse_the_future(query, catalog, window, today)
    cmp_window = (
        compare_window(query.comparison, window, today, settings.fiscal_year_start_month)
        if query.comparison is not None
        else None
    )
    if cmp_window is not None:
        refuse_the_future(query, catalog, cmp_window, today)
    return window, cmp_window


def _still_running(query: Query, window: ResolvedWindow, today: date) -> ResolvedWindow:
    """A named period that holds today ("Q4 2026" on 7 Dec 2026), compared with another, is a
    period still running, as "this quarter" is (kpis.md, Comparisons): its records end today,
    so it runs to today and the other side is taken like for like, never its whole (55 deals
    won so far against all 86 of Q4 2025 read as a 36 % fall)."""
    if query.comparison is None or window.shape != "full" or window.unit in (None, "day"):
        return window
    if window.start is None or window.end is None or not window.start <= today < window.end:
        return window
    return replace(window, end=today, shape="to_date")


def default_window_of(query: Query, catalog: Catalog) -> str:
    """The first KPI's default window (open pipeline: all time; the others: this quarter)."""
    return catalog.metric(query.metrics[0]).default_window if query.metrics else "this quarter"


def bucket_shift(
    query: Query, catalog: Catalog, cur: ResolvedWindow, prev: ResolvedWindow | None
) -> tuple[str, int] | None:
    """How far back a comparison's time buckets lie, when they line up: ("months", 12) for
    monthly buckets vs last year, ("days", 364) for weeks vs last year; None when they do not."""
    grains = [
        g
        for g in query.groupings
        if catalog.has_dimension(g) and catalog.dimension(g).kind == "grain"
    ]
    if not grains or prev is None or cur.start is None or prev.start is None:
        return None
    days = (cur.start - prev.start).days
    if all(g in _GRAIN_MONTHS for g in grains):
        months = (cur.start.year - prev.start.year) * 12 + cur.start.month - prev.start.month
        step = max(_GRAIN_MONTHS[g] for g in grains)
        if cur.start.day == prev.start.day and months > 0 and months % step == 0:
            return ("months", months)
        return None
    weekly_ok = "week" not in grains or days % 7 == 0
    if all(g in ("day", "week") for g in grains) and days > 0 and weekly_ok:
        return ("days", days)
    return None


def time_grain(query: Query, catalog: Catalog) -> str | None:
    """The first time grouping (day … year) of the question, if any."""
    q = effective_query(query, catalog)
    return next(
        (
            g
            for g in q.groupings
            if catalog.has_dimension(g) and catalog.dimension(g).kind == "grain"
        ),
        None,
    )


def _time_filtered(query: Query, catalog: Catalog) -> bool:
    """A filter on a time part (weekday = Mon): the window's other buckets are not zeros."""
    return any(
        catalog.has_dimension(f.dimension)
        and catalog.dimension(f.dimension).kind in ("grain", "datepart")
        for f in query.filters
    )
