"""Restatements of ranking questions read naturally (the ranking follows what is ranked)."""

from __future__ import annotations

from datetime import date

from metrics.answer import ResolvedWindow
from metrics.query import Query, Ranking
from metrics.restate import restate

Q2 = ResolvedWindow(date(2024, 4, 1), date(2024, 6, 27), "this quarter, default")


def test_top_n_follows_the_grouping() -> None:
    q = Query(metrics=("revenue won",), groupings=("rep",), ranking=Ranking("top", 5))
    assert restate(q, Q2, None) == (
        "[revenue won] by [rep] · top 5 · 1 Apr – 27 Jun 2024 (this quarter, default)"
    )


def test_ranked_kpi_named_when_several_are_asked() -> None:
    q = Query(
        metrics=("calls", "connect rate"),
        groupings=("rep",),
        ranking=Ranking("bottom", 3, "connect rate"),
    )
    assert restate(q, Q2, None) == (
        "[calls, connect rate] by [rep] · bottom 3 by [connect rate]"
        " · 1 Apr – 27 Jun 2024 (this quarter, default)"
    )


def test_ranked_kpi_not_repeated_when_it_is_the_only_one() -> None:
    q = Query(metrics=("win rate",), groupings=("rep",), ranking=Ranking("top", 3, "win rate"))
    assert restate(q, Q2, None).startswith("[win rate] by [rep] · top 3 · ")


def test_a_kpi_named_after_its_grouping_is_not_said_twice() -> None:
    from datetime import date

    from metrics.answer import ResolvedWindow
    from metrics.query import Query
    from metrics.restate import restate

    w = ResolvedWindow(date(2024, 1, 1), date(2024, 6, 27), "this year", shape="to_date")
    q = Query(metrics=("follow-up rate by attempt",), groupings=("contact attempt",))
    assert restate(q, w, None).startswith("[follow-up rate by attempt] · 1 Jan – 27 Jun 2024")
    q = Query(metrics=("follow-up rate by attempt",), groupings=("contact attempt", "rep"))
    assert "by [rep]" in restate(q, w, None) and "[contact attempt]" not in restate(q, w, None)
