"""Queries over the whole catalog and a hostile one, shared by the compiler and dialect tests."""

from __future__ import annotations

from collections.abc import Callable

from metrics.catalog import Catalog
from metrics.query import Comparison, Filter, MetricFilter, Query, Ranking


def every_metric_queries(catalog: Catalog, time_grouping: Callable[[int], str]) -> list[Query]:
    """Each metric alone; a KPI (not a record list) also by each of its dimensions that is not
    a number, against the previous period, and by ``time_grouping(n)`` (n: queries so far)."""
    out = []
    for m in catalog.metrics:
        out.append(Query(metrics=(m.name,)))
        if m.kind == "records":
            continue
        out += [
            Query(metrics=(m.name,), groupings=(d,))
            for d in m.dimensions
            if catalog.dimension(d).kind != "number"
        ]
        out.append(Query(metrics=(m.name,), comparison=Comparison("previous")))
        out.append(Query(metrics=(m.name,), groupings=(time_grouping(len(out)),)))
    return out


def hostile_query() -> Query:
    """User values that would break out of the SQL if they were written into it: a rep name
    closing a string and dropping a table, a metric threshold and a top N."""
    evil = 'x\'); DROP TABLE "Task"; --'
    return Query(
        metrics=("calls",),
        groupings=("rep",),
        filters=(Filter("rep", "in", (evil,)),),
        metric_filters=(MetricFilter("calls", "gt", 12345),),
        ranking=Ranking("top", 7),
    )
