"""The chart choice table, case by case, and the overrides (`as bar|line|table|pie|…`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import get_args

import pytest

from charts.choose import (
    RULES,
    Chart,
    chart_name,
    choose,
    choose_with_reason,
    is_funnel,
    rules_markdown,
)
from i18n import Language, catalogue, say
from tests import chart_answers as ca

# answer shape → the chart a sales manager should get (docs/charts.md)
EXPECTED = {
    "kpi": "kpi",  # one value with a comparison → a card with ▲/▼
    "kpi_row": "kpi",
    "bars": "bars",  # KPI by rep → sorted horizontal bars
    "bars_lower_better": "bars",
    "columns_weekday": "columns",  # natural order
    "columns_hour": "columns",
    "columns_stage": "columns",
    "line_day": "line",  # 31 days → line
    "columns_month": "columns",  # 6 months → columns
    "line_month": "line",  # 18 months → line
    "line_compare": "line",
    "compare_category": "compare",
    "dumbbell": "dumbbell",  # 11 reps compared: one row each, not 22 bars
    "compare_weekday": "compare",
    "grouped": "grouped",
    "lines": "lines",
    "panels": "panels",
    "table_many": "bars",  # 30 reps → the top ones and "N others" (bars.limit_rows)
    "donut_share": "donut",
    "donut_pie": "donut",  # as pie, 5 slices
    "stacked": "stacked",  # as pie, 8 slices → 100% bar
    "funnel": "funnel",
    "gauge_rate": "gauge",  # as gauge
    "gauge_count": "gauge",
    "records": "table",  # top-N records
}


def test_every_sample_answer_has_an_expectation() -> None:
    assert set(EXPECTED) == set(ca.ALL)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_choice(name: str) -> None:
    assert choose(ca.ALL[name]()) == EXPECTED[name]


def _as(answer: ca.Answer, kind: str | None) -> ca.Answer:
    return dataclasses.replace(answer, query=dataclasses.replace(answer.query, chart=kind))


@pytest.mark.parametrize(
    ("sample", "asked", "chart"),
    [
        ("bars", "table", "table"),
        ("bars", "pie", "donut"),
        ("bars", "funnel", "funnel"),
        ("columns_weekday", "line", "line"),
        ("line_day", "bar", "columns"),
        ("kpi", "gauge", "gauge"),
        ("gauge_rate", "kpi", "kpi"),
        ("compare_category", "bar", "compare"),
        ("panels", "bar", "panels"),
        ("grouped", "bar", "grouped"),
        ("lines", "line", "lines"),
        ("funnel", "kpi", "kpi"),
        ("funnel", "table", "table"),
        ("kpi_row", "funnel", "funnel"),
    ],
)
def test_override_honoured(sample: str, asked: str, chart: str) -> None:
    c = choose_with_reason(_as(ca.ALL[sample](), asked))
    assert (c.chart, c.rule, c.note) == (chart, f"as {asked}", None)


@pytest.mark.parametrize(
    ("sample", "asked", "fallback", "why"),
    [
        ("bars", "line", "bars", "a line needs a grouping over time"),
        ("bars", "kpi", "bars", "a KPI card needs one value"),
        ("columns_weekday", "gauge", "columns", "a gauge shows one value"),
        ("kpi", "bar", "kpi", "bars need a grouping"),
        ("line_day", "pie", "line", "a pie shows one KPI split by one grouping"),
        ("records", "line", "table", "a list of records is shown as a table"),
    ],
)
def test_override_refused_says_why(sample: str, asked: str, fallback: str, why: str) -> None:
    c = choose_with_reason(_as(ca.ALL[sample](), asked))
    assert c.chart == fallback
    assert c.note is not None and say(Language.EN, c.note).startswith(
        f"Not shown as {asked}: {why}"
    )


def test_override_refused_says_why_in_chinese() -> None:
    c = choose_with_reason(_as(ca.ALL["columns_weekday"](), "gauge"))
    assert c.note is not None
    assert say(Language.ZH, c.note) == "没有画成仪表盘：仪表盘只显示一个指标的一个数值。"


def test_funnel_needs_leads_and_deals_won() -> None:
    assert is_funnel(("leads", "new opportunities", "deals won"))
    assert is_funnel(("leads", "converted leads", "deals won"))
    assert not is_funnel(("leads", "deals won"))  # two stages are a pair of cards
    assert not is_funnel(("leads", "new opportunities", "calls"))
    assert not is_funnel(("new opportunities", "converted leads", "deals won"))


def test_many_rows_stay_bars_and_many_kpis_a_table() -> None:
    rows = [(f"Rep {i}", 100 - i) for i in range(60)]
    assert choose(ca.make("q", ("calls",), ("rep",), rows)) == "bars"
    wide = [(f"Rep {i}", 1, 2, 3, 4, 5) for i in range(3)]
    five = ("calls", "connect rate", "deals won", "demos booked", "meetings booked")
    assert choose(ca.make("q", five, ("rep",), wide)) == "table"


def test_docs_show_the_rule_table() -> None:
    doc = (Path(__file__).parent.parent / "docs" / "charts.md").read_text(encoding="utf-8")
    assert rules_markdown() in doc
    assert len(RULES) >= 10


def test_a_value_with_a_target_gets_a_gauge() -> None:
    assert choose(ca.connect_rate_kpi(), target=True) == "gauge"
    assert choose(ca.headline_kpis(), target=True) == "kpi"  # six values: cards
    assert choose(ca.calls_by_rep(), target=True) == "bars"


def test_every_chart_has_a_name_in_each_language() -> None:
    """A chart is named to a person ("drawn as table" / "今后画成表格") by the catalogue."""
    for lang in Language:
        assert {c for c in (*get_args(Chart), "auto")} <= {
            k.removeprefix("chart.name.") for k in catalogue(lang) if k.startswith("chart.name.")
        }
    assert chart_name("table").say(Language.ZH) == "表格"
    assert chart_name("columns").say(Language.EN) == "columns"  # English as before
