"""KPIs whose records can lie ahead of today (open pipeline by expected close): how far their
window reaches, which buckets the other KPIs leave blank, and the note that says so (kpis.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from i18n import Language, t
from metrics import buckets
from metrics.answer import Column, ResolvedWindow
from metrics.catalog import Catalog
from metrics.fields import may_lie_ahead
from metrics.format import format_date
from metrics.measures import measure_of
from metrics.query import Query


def looks_ahead(query: Query, catalog: Catalog) -> bool:
    """Every KPI asked counts records that can lie ahead (open pipeline by expected close)."""
    # A field's own date (``by close date``) keeps the window as asked (docs/field-search.md).
    if query.anchor is not None:
        return False
    return all(may_lie_ahead(catalog, catalog.metric(m), None) for m in query.metrics)


def can_look_ahead(catalog: Catalog, name: str, anchor: str | None) -> bool:
    """A KPI with records that can lie ahead: all of them (open pipeline), or one side of its
    ratio (pipeline coverage of next quarter: the pipeline closing then ÷ the quota gap)."""
    m = catalog.metric(name)
    if may_lie_ahead(catalog, m, anchor):
        return True
    return anchor is None and m.kind == "aggregate" and any(a.future for a in measure_of(m).atoms)


def ahead_metrics(query: Query, catalog: Catalog) -> list[str]:
    """The KPIs asked with records that can lie ahead (all of them, or one side of a ratio);
    none when the question counts on a date field of its own (docs/field-search.md)."""
    if query.anchor is not None:
        return []
    return [
        m
        for m in query.metrics
        if catalog.metric(m).kind == "aggregate"
        and any(a.future for a in measure_of(catalog.metric(m)).atoms)
    ]


def whole_period_ahead(query: Query, catalog: Catalog, window: ResolvedWindow) -> ResolvedWindow:
    """"open pipeline this quarter" is the pipeline expected to close this quarter, to its
    last day: cut at today it would be only the deals already overdue ($0 on a healthy org)."""
    if window.shape != "to_date" or window.unit is None or window.start is None:
        return window
    if not query.metrics or not looks_ahead(query, catalog):
        return window
    return replace(window, end=buckets.bucket_end(window.start, window.unit), shape="full")


def widened(window: ResolvedWindow, ahead_end: date | None) -> ResolvedWindow:
    """The window as far as records that can lie ahead reach (its time buckets)."""
    if ahead_end is None or window.end is None or ahead_end <= window.end:
        return window
    return replace(window, end=ahead_end)


def not_yet(
    rows: tuple[tuple[Any, ...], ...],
    columns: tuple[Column, ...],
    grain: str | None,
    today: date,
    ahead: list[str],
) -> tuple[tuple[Any, ...], ...]:
    """Time buckets after today, there for the KPIs that look ahead, have no value for the
    others (their records cannot have happened yet: not a 0)."""
    if grain is None:
        return rows
    j = next(i for i, c in enumerate(columns) if c.name == grain)
    past = {i for i, c in enumerate(columns) if c.metric is not None and c.metric not in ahead}
    return tuple(
        tuple(None if i in past else v for i, v in enumerate(r))
        if isinstance(r[j], date) and r[j] > today
        else r
        for r in rows
    )


def ahead_notes(
    query: Query, catalog: Catalog, window: ResolvedWindow, ahead_end: date | None, lang: Language
) -> tuple[str, ...]:
    """The KPIs counted to the running period's last day beside others counted to today."""
    if ahead_end is None or window.end is None or ahead_end <= window.end:
        return ()
    ahead = ahead_metrics(query, catalog)
    if not ahead:
        return ()
    return (
        t(
            lang,
            "note.ahead",
            metrics=t(lang, "list.sep").join(catalog.said(m, lang) for m in ahead),
            end=format_date(ahead_end, lang),
            name=window.name(lang),
        ),
    )
