"""The chart gallery on the demo org: the questions a new user tries (the examples of the
charts issue among them) and the dashboards, default and filtered, asked through the real
grammar and engine. Every figure must keep the layout facts of tests/layout_facts.py."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from bot import config as app_config
from bot.backend import RealBackend
from charts import figure_for_answer, figure_for_dashboard, texts
from metrics.answer import Answer
from salesforce.demo import build_demo
from salesforce.demo_org import DemoSpec
from tests import layout_facts
from tests.strict_drawing import warnings_are_errors

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 12, 4)

QUESTIONS = (
    "deals won last quarter by rep vs previous quarter",
    "revenue won by month this year",
    "revenue won by month last 3 months",
    "top 5 deals last quarter",
    "calls by rep",
    "calls by rep by weekday",
    "calls by weekday by hour",
    "calls by rep by disposition",
    "follow-up rate by attempt",
    "deals won by lead source vs previous quarter",
    "connect rate by weekday last 31 days",
    "win rate by month this year vs last year",
    "activities by week this quarter",
    "revenue won by rep this year",
    "lead response time by rep this quarter",
    "leads by lead source as pie",
    "calls by month by rep this year",
    "time in stage by stage",
    "deals won for Olivia Brown by month this year",
    "connect rate, meetings booked and deals won by rep last 31 days",
    "win rate by team vs previous period",
    "calls by team by rep last 31 days",
    "按团队统计赢单率 今年",
)
DASHBOARDS = (
    "kpi dashboard",
    "kpi dashboard for Olivia Brown this year",
    "outbound calls dashboard",
    "outbound calls dashboard for 温家豪 last quarter",
    "outbound calls dashboard for team outbound",
    "inbound leads dashboard",
    "inbound leads dashboard this year",
)


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> RealBackend:
    db = tmp_path_factory.mktemp("demo") / "kpibot.duckdb"
    cfg = app_config.load(str(ROOT / "app.yaml"), str(db))
    build_demo(db, DemoSpec(TODAY, 1.0, cfg.timezone, cfg.fiscal_year_start_month))
    return RealBackend(cfg)


def _names(answer: Answer) -> list[str]:
    return sorted({str(v) for r in answer.rows for v in r if isinstance(v, str)})


@pytest.mark.parametrize("question", QUESTIONS)
def test_demo_answer_has_a_sound_layout(question: str, backend: RealBackend) -> None:
    reply = backend.ask(question, today=TODAY, with_chart=False)
    assert reply.error is None and reply.answer is not None, reply.error
    with warnings_are_errors():
        fig = figure_for_answer(reply.answer)
    assert fig is not None
    assert layout_facts.check(fig, _names(reply.answer)) == []


def _dashboard(backend: RealBackend, question: str) -> Figure:
    import grammar

    parsed = grammar.parse(question, backend._catalog, backend._current_values())
    q = parsed.query
    assert q.dashboard
    return figure_for_dashboard(q.dashboard, q, lambda p: backend._run(p, question, TODAY))


@pytest.mark.parametrize("question", DASHBOARDS)
def test_demo_dashboard_has_a_sound_layout(question: str, backend: RealBackend) -> None:
    fig = _dashboard(backend, question)
    assert layout_facts.check(fig) == []


def test_dashboard_for_one_rep_shows_her_against_her_team(backend: RealBackend) -> None:
    fig = _dashboard(backend, "kpi dashboard for Olivia Brown this year")
    drawn = [t.text for t in layout_facts.drawn_texts(fig)]
    # The two by-rep panels (response and follow-up; quota attainment, the demo org imports
    # quotas): her row and her team's median each (Olivia is on the Inbound Team); the top
    # deals say her name once above the table, not per row.
    assert drawn.count("Olivia Brown") == 2
    assert drawn.count("Inbound Team median") + drawn.count("Inbound Team\nmedian") == 2
    assert "Inbound Team\nmedian" in drawn or "Inbound Team median" in drawn
    assert "Every row: Rep: Olivia Brown" in drawn


def test_outbound_per_rep_table_shows_every_rep(backend: RealBackend) -> None:
    drawn = texts(_dashboard(backend, "outbound calls dashboard"))
    assert not any(t.startswith("+ ") and t.endswith("more rows") for t in drawn)
    for rep in ("Emily Chen", "温家豪", "刘洋", "Olivia Brown", "Sophia Martinez"):
        assert rep in drawn


def test_kpi_dashboard_has_follow_up_by_attempt(backend: RealBackend) -> None:
    drawn = texts(_dashboard(backend, "kpi dashboard"))
    assert "Follow-up by attempt" in drawn
    assert {"1", "2", "3", "4", "5+"} <= set(drawn)


def test_per_rep_table_for_one_rep_has_the_team_median_row(backend: RealBackend) -> None:
    drawn = texts(_dashboard(backend, "outbound calls dashboard for 温家豪 last quarter"))
    # The per-rep table: 温家豪's row, then the Inbound Team's median row.
    assert "Rep" in drawn and "Demos booked" in drawn
    assert drawn.index("温家豪") < drawn.index("Inbound Team median")


def test_outbound_dashboard_for_the_outbound_team(backend: RealBackend) -> None:
    """The source document's 外拨电话大屏 is about a team of five: the demo's Outbound Team."""
    drawn = texts(_dashboard(backend, "outbound calls dashboard for team outbound"))
    assert "Outbound calls dashboard · team = Outbound Team" in drawn
    outbound = {"Emily Chen", "李明", "James Walker", "张伟", "Sophia Martinez"}
    assert outbound <= set(drawn)
    assert not {"温家豪", "Olivia Brown", "王芳", "Daniel Kim", "刘洋", "Grace Liu"} & set(drawn)
    # Target: 40 calls × 5 reps × 23 working days (Tue 3 Nov – Thu 3 Dec 2026: 4 + 5 + 5 + 5 + 4)
    assert "target 4,600" in drawn
