"""Charts and dashboards drawn from real answers on the hand-made fixture org.

Every chart kind comes from a question asked through the real backend (grammar → engine →
charts); each dashboard shows the same numbers that `kpibot ask` gives for its panels.
"""

from __future__ import annotations

import struct
from datetime import date
from pathlib import Path

import pytest

from bot import config as app_config
from bot.backend import RealBackend
from bot.text import format_cell
from charts import choose_with_reason, figure_for_answer, figure_for_dashboard, texts
from metrics.query import Query
from tests import layout_facts
from tests.fixture_org import load_fixture_org
from tests.strict_drawing import warnings_are_errors

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2024, 6, 27)
CHART_PX = (1120, 700)


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    w, h = struct.unpack(">II", png[16:24])
    return w, h


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> RealBackend:
    db = load_fixture_org(tmp_path_factory.mktemp("org") / "kpibot.duckdb")
    cfg = app_config.load(ROOT / "tests" / "fixtures" / "org" / "app.yaml", str(db))
    return RealBackend(cfg)


# question → the chart its answer's shape calls for (docs/charts.md, the choice table)
KINDS = {
    "win rate vs previous period": "kpi",
    "revenue won by rep": "bars",
    "connect rate by weekday": "columns",
    "time in stage by stage": "columns",
    "new opportunities by month": "columns",
    "calls by rep vs previous period": "compare",
    "deals won by rep by lead source": "grouped",
    # Alice in Inbound Rep; Bob and 张伟 in Outbound Rep: reps within teams
    "calls by team by rep": "nested",
    "leads, new opportunities and deals won": "funnel",
    "calls, connect rate and deals won by rep": "panels",
    "top deals": "table",
    "connect rate as gauge": "gauge",
    "deals won by lead source as pie": "donut",
    "revenue won by month as line": "line",
    "calls by rep as table": "table",
}


@pytest.mark.parametrize("question", list(KINDS))
def test_every_chart_kind_from_a_real_answer(question: str, backend: RealBackend) -> None:
    with warnings_are_errors():  # a missing glyph (温家豪, 张伟) would warn
        reply = backend.ask(question, today=TODAY)
    assert reply.error is None and reply.answer is not None, reply.error
    assert str(choose_with_reason(reply.answer).chart) == KINDS[question]
    assert reply.chart_png is not None
    assert png_size(reply.chart_png) == CHART_PX
    # The fixture org's answers keep the gallery's layout facts too (tests/layout_facts.py).
    fig = figure_for_answer(reply.answer)
    assert fig is not None
    names = sorted({v for r in reply.answer.rows for v in r if isinstance(v, str)})
    assert layout_facts.check(fig, names) == []


def test_no_data_draws_no_chart(backend: RealBackend) -> None:
    reply = backend.ask("calls by rep in March 2023", today=TODAY)
    assert reply.error is not None and reply.error.kind == "no_data"
    assert reply.chart_png is None


def _drawn(backend: RealBackend, name: str) -> list[str]:
    def run(q: Query):  # type: ignore[no-untyped-def]
        return backend._run(q, f"{name} dashboard", TODAY)

    fig = figure_for_dashboard(name, Query(dashboard=name), run, currency="USD")
    return texts(fig)


def _cells(backend: RealBackend, question: str) -> list[str]:
    reply = backend.ask(question, today=TODAY, with_chart=False)
    assert reply.answer is not None, reply.error
    a = reply.answer
    return [format_cell(v, c) for row in a.rows for v, c in zip(row, a.columns, strict=True)]


def test_kpi_dashboard_shows_the_numbers_ask_gives(backend: RealBackend) -> None:
    drawn = _drawn(backend, "kpi")
    asked = _cells(
        backend,
        "lead response time, follow-up rate, activities, average deal size, deals won and "
        "sales cycle length this quarter",
    )
    # 13.5 h, 66.7%, 15 activities, $60,000, 4 deals, 57.2 d (hand-worked in the fixture tests)
    assert asked == ["13.5 h", "66.7%", "15", "$60,000", "4", "57.2 d"]
    for cell in asked:
        assert cell in drawn, cell
    for cell in _cells(backend, "time in stage by stage this quarter"):
        assert cell in drawn, cell


def test_outbound_dashboard_shows_the_numbers_ask_gives(backend: RealBackend) -> None:
    drawn = _drawn(backend, "outbound calls")
    for question in (
        "connect rate, meetings booked, deals won, average deal size and calls per deal "
        "last 31 days",
        "connect rate by weekday last 31 days",
    ):
        for cell in _cells(backend, question):
            # The fixture's outbound calls of the window all fall on one Thursday: the weekday
            # panel is one value, drawn as a card whose title says "weekday: Thu".
            assert cell in drawn or f"weekday: {cell}" in drawn, (question, cell)


def test_inbound_dashboard_shows_the_numbers_ask_gives(backend: RealBackend) -> None:
    drawn = _drawn(backend, "inbound leads")
    for cell in _cells(backend, "lead-to-opportunity ratio inbound last 30 days"):
        assert cell in drawn, cell


@pytest.mark.parametrize(
    ("question", "plurals"),
    [
        ("deals won by rep by lead source", ["reps", "lead sources"]),
        ("按销售 按线索来源 统计赢单数", ["销售", "线索来源"]),
    ],
)
def test_an_answer_carries_its_groupings_plurals_for_the_charts(
    question: str, plurals: list[str], backend: RealBackend
) -> None:
    # The catalog's `plural:` (metrics/catalog.yaml: reps, lead sources) rides on the answer's
    # dimension columns, so a chart's note says it without loading the catalog per drawing;
    # Chinese nouns have one form, the dimension's Chinese name.
    from charts.choose import plural_of

    reply = backend.ask(question, today=TODAY, with_chart=False)
    assert reply.answer is not None, reply.error
    dims = [c for c in reply.answer.columns if c.role == "dimension"]
    assert [plural_of(c, reply.answer.language) for c in dims] == plurals
    assert [c.plural for c in dims] == plurals
