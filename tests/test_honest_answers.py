"""No number silently misleading: rates carry their sample size, open outcomes make a value
provisional, time series show every bucket and say which ones are partial, and a dashboard's
titles follow the window it was drawn for. On the hand-made fixture org (see
tests/test_metrics_fixture.py for its records); expected numbers worked out by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from bot.backend import Reply
from bot.digests.message import details_text, headline_line
from bot.slack.blocks import Style, headline_fields, text_table
from bot.text import answer_text
from cache.snapshot import SnapshotReader
from charts import figure_for_answer, figure_for_dashboard, texts, theme
from metrics.answer import Answer, PartialBucket, ResolvedWindow
from metrics.buckets import grid, partial
from metrics.catalog import Catalog
from metrics.catalog_load import load_catalog
from metrics.engine import run
from metrics.errors import NoData
from metrics.jsonout import answer_to_json
from metrics.query import Comparison, Query, WindowSpec
from metrics.settings import OrgSettings
from tests.fixture_org import fixture_settings, load_fixture_org

TODAY = date(2024, 6, 27)  # a Thursday; Q2 so far is 1 Apr – 27 Jun
LAST_12 = WindowSpec("last", n=12, unit="day")  # 15 – 26 Jun: Sat 15 Jun to Wed 26 Jun


Org = tuple[SnapshotReader, Catalog]


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Org]:
    """The fixture org's snapshot and the built-in catalog."""
    reader = SnapshotReader(load_fixture_org(tmp_path_factory.mktemp("org") / "kpibot.duckdb"))
    yield reader, load_catalog()
    reader.close()


def ask(org: Org, *metrics: str, settings: OrgSettings | None = None, **kw: Any) -> Answer:
    return run(
        Query(metrics=metrics, **kw),
        catalog=org[1],
        settings=settings or fixture_settings(),
        reader=org[0],
        today=TODAY,
    )


# ---------------------------------------------------------------- sample sizes


def test_rates_and_means_carry_their_base(org: Org) -> None:
    a = ask(
        org,
        "win rate",
        "average deal size",
        "sales cycle length",
        "average call duration",
        "connect rate",
        "deals won",
    )
    # Q2 closed: O1, O2, O5, O11 won + O4 lost = 5 closed deals, 4 won (80%).
    # Deal size averages the won deals with an amount: O1, O5, O11 (O2 has none) = 3.
    # Cycle length averages every won deal: 4. Call duration: connected outbound calls with a
    # duration, T00 180 s, T01 120 s, T06 300 s (T08 has none) = 3. Outbound calls: T00, T01,
    # T03, T06, T07, T08 = 6 (T04 is inbound). deals won is a count: no base.
    assert {s.metric: (s.noun, s.counts) for s in a.samples} == {
        "win rate": ("closed deals", (5,)),
        "average deal size": ("won deals with an amount", (3,)),
        "sales cycle length": ("won deals", (4,)),
        "average call duration": ("connected calls", (3,)),
        "connect rate": ("outbound calls", (6,)),
    }
    assert a.rows[0][0] == pytest.approx(0.8)


def test_small_groups_are_marked_with_the_rule_said_once(org: Org) -> None:
    a = ask(org, "win rate", groupings=("rep",))
    # Bob O2, O11 won → 2 closed; 张伟 O5 won → 1; Alice O1 won, O4 lost → 2.
    assert [(r[0], r[1]) for r in a.rows] == [
        ("Bob Smith", 1.0),
        ("张伟", 1.0),
        ("Alice Wang", 0.5),
    ]
    assert a.samples[0].counts == (2, 1, 2)
    assert a.caveats.count("† on fewer than 20 closed deals: too few to compare.") == 1
    table = answer_text(a).splitlines()
    assert table[-5].split() == ["rep", "win", "rate", "closed", "deals"]
    assert table[-3].split() == ["Bob", "Smith", "100.0%", "†", "2"]
    assert table[-1].split() == ["Alice", "Wang", "50.0%", "†", "2"]
    slack, more = text_table(a, Style())
    assert "closed deals" in slack.splitlines()[0] and "50.0% †" in slack and more == 0


def _bars(fig: Any) -> list[Rectangle]:
    """The bars a chart drew (bar containers), whatever their thickness."""
    return [p for ax in fig.axes for c in ax.containers for p in c]


def test_the_small_sample_threshold_is_a_setting(org: Org) -> None:
    two = fixture_settings().model_copy(update={"min_sample_size": 2})
    a = ask(org, "win rate", groupings=("rep",), settings=two)
    assert [a.small("win rate", i) for i in range(3)] == [False, True, False]  # 张伟: 1 deal
    assert "† on fewer than 2 closed deals: too few to compare." in a.caveats
    fig = figure_for_answer(a)
    assert fig is not None
    bars = _bars(fig)
    # sorted best first: Bob 100%, 张伟 100% (pale: one deal), Alice 50%
    faded = [p.get_facecolor() for p in bars]
    from matplotlib.colors import to_rgba

    assert faded == [to_rgba(theme.ACCENT), to_rgba(theme.FADED), to_rgba(theme.ACCENT)]
    assert "pale: fewer than 2 closed deals" in texts(fig)


def test_slack_headline_says_of_how_many(org: Org) -> None:
    a = ask(org, "win rate")
    assert headline_fields(a, Style()) == ["*win rate*\n*80.0%* of 5 closed deals †"]


# ---------------------------------------------------------------- open outcomes


def test_open_outcomes_make_a_rate_provisional(org: Org) -> None:
    a = ask(org, "lead conversion rate", "lead-to-opportunity ratio")
    # Q2 leads L1–L5: L2 → O1 (won), L4 → O3 (open): conversion 1/5, to-opportunity 2/5.
    # Of the 2 leads with an opportunity, O3 is open: 1/2. Of 5 leads, L1 (Open), L3
    # (Working), L5 (Open) are neither converted nor closed: 3/5.
    assert a.rows == ((0.2, 0.4),)
    assert [(u.metric, u.shares) for u in a.unsettled] == [
        ("lead conversion rate", (0.5,)),
        ("lead-to-opportunity ratio", (0.6,)),
    ]
    assert a.provisional("lead conversion rate", 0)
    assert (
        "50% of these leads' opportunities are still open, so lead conversion rate is "
        "provisional and will move as they close." in a.caveats
    )
    assert "~20.0% †" in answer_text(a)
    data = answer_to_json(a)
    assert data["columns"] == ["lead conversion rate", "lead-to-opportunity ratio"]
    assert data["open_shares"] == {
        "lead conversion rate": [0.5],
        "lead-to-opportunity ratio": [0.6],
    }
    assert data["samples"]["lead conversion rate"] == {"base": "leads", "counts": [5]}
    assert data["partial"] is None


def test_a_provisional_card_is_not_a_red_collapse(org: Org) -> None:
    a = ask(
        org,
        "lead conversion rate",
        window=WindowSpec("month", year=2024, number=6),
        comparison=Comparison("window", WindowSpec("month", year=2024, number=4)),
    )
    # June: L4 → O3 open: 0/1, its one opportunity open (100%). April: L1, L2 (→ O1 won), L5:
    # 1/3. The change, 0% − 33.3% = −33.3 pp (a rate changes in points), is grey with the open
    # share said, not red.
    assert a.rows[0][:2] == (0.0, pytest.approx(1 / 3))
    fig = figure_for_answer(a)
    assert fig is not None
    t = texts(fig)
    assert "provisional: 100% open" in t
    growth = next(x for x in fig.findobj() if getattr(x, "get_text", lambda: "")() == "−33.3 pp")
    assert growth.get_color() == theme.MUTED


# ---------------------------------------------------------------- time series


def test_every_bucket_is_a_row_and_partial_ones_say_so(org: Org) -> None:
    a = ask(org, "calls", "connect rate", groupings=("week",), window=LAST_12)
    # 15 – 26 Jun touches the weeks of 10, 17 and 24 Jun. The only call is T08 (Thu 20 Jun,
    # outbound, connected). Empty weeks: 0 calls and no connect rate (no outbound call).
    assert a.rows == (
        (date(2024, 6, 10), 0, None),
        (date(2024, 6, 17), 1, 1.0),
        (date(2024, 6, 24), 0, None),
    )
    assert a.samples[0].counts == (0, 1, 0)
    # The week of 10 Jun is cut by the window's start (15–16 Jun only); the week of 24 Jun by
    # its end, and today (27 Jun) is in it: to date.
    assert a.partial == (
        PartialBucket(date(2024, 6, 15), date(2024, 6, 16), running=False),
        None,
        PartialBucket(date(2024, 6, 24), date(2024, 6, 26), running=True),
    )
    text = answer_text(a)
    assert "week of 10 Jun 2024 (15 – 16 Jun 2024 only)" in text
    assert "week of 24 Jun 2024 (to date)" in text
    assert "— †" not in text and "100.0% †" in text  # no base, no value to mark
    assert "Every week of the window is a row; one without records counts 0" in text
    assert answer_to_json(a)["partial"] == [
        {"first": "2024-06-15", "last": "2024-06-16", "to_date": False},
        None,
        {"first": "2024-06-24", "last": "2024-06-26", "to_date": True},
    ]


def test_a_window_without_any_record_is_still_no_data(org: Org) -> None:
    with pytest.raises(NoData):
        ask(org, "leads", groupings=("week",), window=LAST_12)


def test_a_rate_of_zero_in_every_bucket_is_an_answer_not_no_data(org: Org) -> None:
    # 27 May – 2 Jun closes one deal: O4 (Alice, lost, 1 Jun). Win rate 0 of 1 = 0.0 % on
    # 1 Jun and no closed deal on the other six days: a rate of 0 with a base, not "no data".
    a = ask(
        org,
        "win rate",
        groupings=("day",),
        window=WindowSpec("between", start=date(2024, 5, 27), end=date(2024, 6, 2)),
    )
    assert len(a.rows) == 7
    assert a.rows[5] == (date(2024, 6, 1), 0.0)
    assert [r[1] for r in a.rows[:5]] + [a.rows[6][1]] == [None] * 6
    assert a.samples[0].counts == (0, 0, 0, 0, 0, 1, 0)


def test_a_line_draws_partial_ends_hollow_and_dashed(org: Org) -> None:
    a = ask(org, "calls", groupings=("day",), window=WindowSpec("this", unit="month"))
    # 1 – 27 Jun is 27 days, every one a row; today (27 Jun) is still running.
    assert len(a.rows) == 27 and a.rows[19] == (date(2024, 6, 20), 1)
    assert sum(r[1] for r in a.rows) == 1 and a.partial[-1] is not None
    fig = figure_for_answer(a)
    assert fig is not None
    hollow = [ln for ln in fig.findobj(Line2D) if ln.get_markerfacecolor() == "white"]
    assert [list(ln.get_xdata()) for ln in hollow] == [[26]]
    dashed = [ln for ln in fig.findobj(Line2D) if ln.get_linestyle() == "--"]
    assert [list(ln.get_xdata()) for ln in dashed] == [[25, 26]]
    assert "○ partial period" in texts(fig)


def test_grid_and_partial_buckets() -> None:
    # fiscal year from February: quarters start Feb, May, Aug, Nov
    w = ResolvedWindow(date(2024, 3, 10), date(2024, 9, 1), "x")
    assert grid(w, "quarter", 2) == (date(2024, 2, 1), date(2024, 5, 1), date(2024, 8, 1))
    assert grid(ResolvedWindow(None, date(2024, 1, 1), "x"), "day", 1) is None
    assert partial(date(2024, 2, 1), "quarter", w, TODAY) == PartialBucket(
        date(2024, 3, 10), date(2024, 4, 30), running=False
    )
    assert partial(date(2024, 5, 1), "quarter", w, TODAY) == PartialBucket(
        date(2024, 5, 1), date(2024, 6, 27), running=True
    )
    assert partial(date(2024, 6, 3), "week", w, TODAY) is None


# ---------------------------------------------------------------- dashboard titles


def test_dashboard_titles_follow_the_window_used(org: Org) -> None:
    def engine(q: Query) -> Answer:
        return run(q, catalog=org[1], settings=fixture_settings(), reader=org[0], today=TODAY)

    default = texts(figure_for_dashboard("kpi", Query(dashboard="kpi"), engine))
    assert "Top 5 deals of last quarter" in default  # its own window: Q1 2024 (O7)
    this_year = texts(
        figure_for_dashboard(
            "kpi", Query(dashboard="kpi", window=WindowSpec("this", unit="year")), engine
        )
    )
    assert "Top 5 deals of this year" in this_year
    assert not any("last quarter" in t for t in this_year)


def test_dashboard_docs_mention_the_title_placeholders() -> None:
    text = (Path(__file__).parents[1] / "docs" / "charts.md").read_text(encoding="utf-8")
    assert "{window}" in text


def test_digests_say_the_base_and_the_open_share(org: Org) -> None:
    a = ask(org, "win rate")  # 4 won of 5 closed deals (see above)
    line = headline_line(Reply("win rate", answer=a), currency="USD")
    assert line == "• *win rate* 80.0% of 5 closed deals † · 1 Apr – 27 Jun 2024"
    b = ask(org, "lead conversion rate", groupings=("month",))
    # Apr: L1, L2 (→ O1 won), L5 → 1/3; May: L3 → 0/1; Jun: L4 (→ O3 open) → 0/1, provisional
    details = details_text(b, currency="USD")
    assert "Jun 2024 (to date)" in details and "~0.0% †" in details
    assert "_† on fewer than 20 leads: too few to compare._" in details


def test_a_table_image_marks_cells_and_says_the_rule(org: Org) -> None:
    a = ask(org, "lead conversion rate", groupings=("month",), chart="table")
    fig = figure_for_answer(a)
    assert fig is not None
    t = texts(fig)
    # as in text: June is running and provisional, every month on fewer than 20 leads
    assert {"Jun 2024 (to date)", "~0.0% †", "33.3% †"} <= set(t)
    assert any("† on fewer than 20 leads: too few to compare." in x for x in t)


def test_a_card_on_a_small_sample_says_how_small(org: Org) -> None:
    a = ask(org, "win rate", comparison=Comparison("previous"))
    # Q2: 4 won of 5 closed; Q1 (1 Jan – 28 Mar): O7 won → 1 of 1. Five deals: the change,
    # 80% − 100% = −20.0 pp, is grey.
    fig = figure_for_answer(a)
    assert fig is not None
    assert "only 5 closed deals" in texts(fig)
    growth = next(x for x in fig.findobj() if getattr(x, "get_text", lambda: "")() == "−20.0 pp")
    assert growth.get_color() == theme.MUTED


def test_bars_draw_a_provisional_group_dashed(org: Org) -> None:
    a = ask(org, "lead conversion rate", groupings=("lead source",))
    # Q2 by source: Partner L2 → O1 (won, closed) 1/1; L4 (no source) → O3, still open: the one
    # provisional group (1 of its 1 opportunities open); Web L1, Cold Call L3, WEBSITE L5 have
    # no opportunity, so nothing of theirs is open.
    assert [a.provisional("lead conversion rate", i) for i in range(len(a.rows))] == [
        r[0] is None for r in a.rows
    ]
    fig = figure_for_answer(a)
    assert fig is not None
    hollow = [p for p in _bars(fig) if p.get_facecolor() == (1.0, 1.0, 1.0, 1.0)]
    assert len(hollow) == 1
    assert any("dashed: provisional (outcomes still open)" in t for t in texts(fig))
