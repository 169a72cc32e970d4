"""Questions with no numbers to show, refused with why: a window that has not begun for KPIs of
the past, or no rows (no group, no record, none passing a filter, every bucket empty)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from i18n import Capitalized, Joined, Msg
from metrics.ahead import can_look_ahead
from metrics.answer import ResolvedWindow
from metrics.catalog import Catalog
from metrics.compiler import Compiled
from metrics.errors import NoData
from metrics.format import DateRange
from metrics.query import Query
from metrics.restate import no_data


def refuse_the_future(query: Query, catalog: Catalog, window: ResolvedWindow, today: date) -> None:
    # A user error: said in the reader's language where it is shown (i18n.Msg).
    """A window that has not begun, for KPIs whose records can only be in the past: say so
    instead of answering 0 (catalog key ``future`` marks the KPIs that can look ahead)."""
    if window.start is None or window.start <= today:
        return
    past_only = [m for m in query.metrics if not can_look_ahead(catalog, m, query.anchor)]
    if past_only:
        raise NoData(
            Msg.of(
                "window.error.not_yet",
                name=Capitalized(window.said or Msg.of("window.as_is", name=window.label)),
                range=DateRange(window.start, window.end),
                metrics=_listed(catalog, past_only),
            )
        )


def refuse_no_rows(
    query: Query,
    catalog: Catalog,
    compiled: Compiled,
    window: ResolvedWindow,
    zero_filled: bool,
    rows: list[tuple[Any, ...]],
) -> None:
    """No answer to show: say why. Ungrouped questions always have a row; no rows means no
    group (or record) to show, or none passing a metric filter; a grid (``zero_filled``) whose
    every bucket of the window is empty has not one record in any."""
    if rows and not (zero_filled and _all_empty(rows, compiled)):
        return
    raise NoData(
        no_data(
            query,
            catalog.said,
            metrics=_listed(catalog, query.metrics),
            range=DateRange(window.start, window.end),
            name=window.said or Msg.of("window.as_is", name=window.label),
        )
    )


def _listed(catalog: Catalog, metrics: Sequence[str]) -> Joined:
    """KPIs as a message lists them ("calls, connect rate" / "电话数、接通率")."""
    return Joined(tuple(catalog.term(m) for m in metrics), "comma")


def _all_empty(rows: list[tuple[Any, ...]], compiled: Compiled) -> bool:
    """No bucket of the grid holds a record: every KPI is 0 or empty and no rate or mean has
    a base (a win rate of 0.0 % of 3 closed deals is an answer, not an empty window)."""
    metrics = [i for i, c in enumerate(compiled.columns) if c.role == "metric"]
    width = len(compiled.columns)
    bases = [width + k for k, (_, what) in enumerate(compiled.extras) if what == "base"]
    return all(r[i] in (0, None) for r in rows for i in metrics) and not any(
        r[i] for r in rows for i in bases
    )
