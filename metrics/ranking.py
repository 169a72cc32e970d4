"""A top or bottom N: which groups it keeps, and what a reader must know about the cut.

The SQL of a ranked question asks for one row past the cut (``peek``), so the answer can tell
a list that was cut from one that was not ("top deals (first 20)" only when a 21st exists) and
a cut that falls inside a tie ("刘洋 ties with Grace Liu at 4 deals won but falls outside the
top 2").

With two groupings, "top 5 reps" keeps five reps, each with every cell of the other grouping
(calls by rep by weekday: the five reps with the most calls over the window, each with all
their weekdays), never the five largest rep × weekday cells. The reps are ranked by the KPI
over the other grouping, as "calls by rep top 5" ranks them: a question of its own, with one
grouping (``leaders_query``), whose groups then filter the full two-grouping answer
(``keep_leaders``). Which grouping is ranked: the one the ranking names ("top 5 reps",
"前5名销售"), else the first that is not a time grain or date part (docs/grammar.md).

>>> split([("a", 5), ("b", 4), ("c", 4)], 2)
([('a', 5), ('b', 4)], ('c', 4))
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from i18n import Language, t
from metrics.answer import Column
from metrics.catalog import Catalog
from metrics.format import format_bucket, format_stored, format_value
from metrics.query import Query
from metrics.record_sql import NATURAL_KINDS

if TYPE_CHECKING:
    from metrics.prepare import Prepared

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Ranked:
    """A question's rows after its cut: ``prepared``, the statement they came from (a
    two-grouping top N runs its cells unranked); ``more``: the cut left rows out; ``note``:
    what a reader must know about the cut (it falls inside a tie), else None."""

    prepared: Prepared
    rows: list[Row]
    more: bool = False
    note: str | None = None


def fetch_ranked(
    query: Query,
    p: Prepared,
    *,
    catalog: Catalog,
    fetch: Callable[[Prepared], list[Row]],
    prepare: Callable[[Query], Prepared],
    lang: Language,
    currency: str = "USD",
    fiscal_start_month: int = 1,
) -> Ranked:
    """The rows of ``query`` (prepared as ``p``) cut to its top or bottom N, one row past the
    cut read to see what it left out. ``fetch`` runs a prepared statement; ``prepare`` prepares
    another question the same way (the leaders of a two-grouping top N, its cells unranked)."""
    r = query.ranking
    if r is None:
        return Ranked(p, fetch(p))
    note_of = functools.partial(
        tie_note, catalog=catalog, lang=lang, currency=currency,
        fiscal_start_month=fiscal_start_month,
    )
    dim = ranked_dimension(query, catalog)
    if dim is None:
        rows, after = split(fetch(replace(p, params=peek(p.params))), r.n)
        grouped = rows and p.compiled.kind != "records"
        note = note_of(query, p.compiled.columns, rows[-1], after) if grouped else None
        return Ranked(p, rows, after is not None, note)
    lead = prepare(leaders_query(query, dim))
    leaders, after = split(fetch(replace(lead, params=peek(lead.params))), r.n)
    cells = prepare(replace(query, ranking=None))
    j = next(i for i, c in enumerate(cells.compiled.columns) if c.name == dim)
    rows = keep_leaders(fetch(cells), j, [row[0] for row in leaders])
    lead_q = leaders_query(query, dim)
    note = note_of(lead_q, lead.compiled.columns, leaders[-1], after) if leaders else None
    return Ranked(cells, rows, after is not None, note)


def peek(params: dict[str, Any]) -> dict[str, Any]:
    """The bound values asking one row past the cut (``$rank_n`` + 1)."""
    if "rank_n" not in params:
        return params
    return {**params, "rank_n": int(params["rank_n"]) + 1}


def split(rows: Sequence[Row], n: int) -> tuple[list[Row], Row | None]:
    """The first ``n`` rows, and the first row the cut left out (None when nothing was cut)."""
    return list(rows[:n]), (rows[n] if len(rows) > n else None)


def ranked_dimension(q: Query, catalog: Catalog) -> str | None:
    """The grouping whose groups a top N of a two-grouping question keeps; None when the
    question has one grouping (its rows are its groups) or no ranking."""
    if q.ranking is None or len(q.groupings) < 2:
        return None
    if q.ranking.dimension in q.groupings:
        return q.ranking.dimension
    return next(
        (g for g in q.groupings if catalog.dimension(g).kind not in NATURAL_KINDS),
        q.groupings[0],
    )


def with_ranked_dimension(asked: Query, query: Query, catalog: Catalog) -> Query:
    """``asked`` saying which of ``query``'s two groupings its top N ranks (the restatement's
    "top 5 [rep]")."""
    dim = ranked_dimension(query, catalog)
    if dim is None or asked.ranking is None:
        return asked
    return replace(asked, ranking=replace(asked.ranking, dimension=dim))


def leaders_query(q: Query, dimension: str) -> Query:
    """The question that ranks the groups of ``dimension``: its KPIs over the other grouping,
    in the same window and filters (a comparison, sort or metric filter is the cells' affair)."""
    return replace(
        q, groupings=(dimension,), comparison=None, sort=None, metric_filters=(), chart=None
    )


def keep_leaders(rows: Sequence[Row], j: int, leaders: Sequence[Any]) -> list[Row]:
    """The rows whose column ``j`` is one of ``leaders``, in rank order under the groupings
    before it: rep by weekday lists rep by rep (each rep's weekdays Mon … Sun), weekday by
    rep lists weekday by weekday (each weekday's reps best first)."""
    rank = {v: i for i, v in enumerate(leaders)}
    kept = [r for r in rows if r[j] in rank]
    first_seen: dict[Any, int] = {}
    for r in kept:
        first_seen.setdefault(r[:j], len(first_seen))
    return sorted(kept, key=lambda r: (first_seen[r[:j]], rank[r[j]]))  # stable within


def tie_note(
    q: Query,
    columns: Sequence[Column],
    last: Row,
    after: Row | None,
    *,
    catalog: Catalog,
    lang: Language,
    currency: str = "USD",
    fiscal_start_month: int = 1,
) -> str | None:
    """The note when the cut falls inside a tie: the first group left out has the same value
    of the ranking KPI as the last one kept. ``columns`` are ``last``'s and ``after``'s (the
    ranked grouping's and the KPIs')."""
    if q.ranking is None or after is None:
        return None
    metric = q.ranking.metric or q.metrics[0]
    k = next((i for i, c in enumerate(columns) if c.role == "metric" and c.metric == metric), None)
    if k is None or last[k] is None or last[k] != after[k]:  # (ranked by a KPI not shown)
        return None
    j = next(i for i, c in enumerate(columns) if c.role == "dimension")
    dim = columns[j].name

    def group(v: Any) -> str:
        if isinstance(v, date) and catalog.dimension(dim).kind == "grain":
            return format_bucket(v, dim, fiscal_start_month=fiscal_start_month, lang=lang)
        return format_stored(v, dim, lang)

    return t(
        lang,
        "note.tie",
        left_out=group(after[j]),
        kept=group(last[j]),
        value=format_value(last[k], columns[k].format, currency=currency, lang=lang),
        metric=catalog.said(metric, lang),
        cut=t(lang, f"restate.{q.ranking.direction}", n=q.ranking.n),
    )
