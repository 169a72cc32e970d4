"""Charts in the reply's language (docs/languages.md): a Chinese question's chart says
everything in Chinese — title, dates, weekday and month names, legend, keys, numbers, "data as
of" — with the same values as the English chart, drawn with the bundled CJK font.

Answers come from the real backend on the hand-made fixture org (today: Thu 27 Jun 2024).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from bot import config as app_config
from bot.backend import RealBackend
from charts import figure_for_answer, texts
from i18n import Language
from tests.fixture_org import load_fixture_org
from tests.strict_drawing import warnings_are_errors

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2024, 6, 27)


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> RealBackend:
    db = load_fixture_org(tmp_path_factory.mktemp("org") / "kpibot.duckdb")
    cfg = app_config.load(ROOT / "tests" / "fixtures" / "org" / "app.yaml", str(db))
    return RealBackend(cfg)


def drawn(backend: RealBackend, question: str) -> list[str]:
    reply = backend.ask(question, today=TODAY, with_chart=False)
    assert reply.answer is not None, reply.error
    with warnings_are_errors():  # a glyph missing from the font warns: no tofu boxes
        fig = figure_for_answer(reply.answer)
    assert fig is not None
    return texts(fig)


def test_a_chinese_chart_says_everything_in_chinese(backend: RealBackend) -> None:
    said = drawn(backend, "按星期统计 接通率")
    english = drawn(backend, "connect rate by weekday")
    assert "接通率（按星期）" in said  # the title from catalog names, no English spaces
    assert "2024年4月1日 – 6月27日（本季度，默认）" in said
    assert sorted({s for s in said if s.startswith("周")}) == ["周一", "周三", "周二", "周四"]
    assert "浅色：外呼电话数少于 20" in said  # the key to the pale bars
    assert any(re.fullmatch(r"数据截至 2\d{3}年\d+月\d+日 \d\d:\d\d \w+", s) for s in said)
    # the same values as the English chart (connected / outbound calls by weekday, this
    # quarter: 100.0%, 50.0%, 100.0%, 50.0% Mon – Thu)
    assert [s for s in said if s.endswith("%")] == [s for s in english if s.endswith("%")]
    assert not any(re.search(r"\b(Mon|Tue|data as of|this quarter|pale)\b", s) for s in said)


def test_a_chinese_comparison_over_months(backend: RealBackend) -> None:
    said = drawn(backend, "赢单金额 按月 今年 同比")
    assert "赢单金额（按月）" in said
    assert "2024年1月1日 – 6月27日（今年） · 对比 2023年1月1日 – 6月27日" in said
    assert "本期" in said and "同比" in said  # the legend's two sides
    assert "2024年6月" in said  # month ticks
    assert "虚线：不完整时段" in said  # June is still running on 27 Jun
    assert "$10万" in said  # 万 for ten thousands (O1 50,000 + O11 50,000 won in May)


def test_chinese_is_a_language_not_a_font_switch(backend: RealBackend) -> None:
    """An English question keeps its English chart (the snapshots of the chart tests)."""
    said = drawn(backend, "win rate by rep")
    assert "Win rate by rep" in said and not any("按" in s for s in said)


def test_the_reply_language_can_be_forced(backend: RealBackend) -> None:
    reply = backend.ask("win rate by rep", today=TODAY, with_chart=False, language=Language.ZH)
    assert reply.answer is not None and reply.answer.language is Language.ZH
    fig = figure_for_answer(reply.answer)
    assert fig is not None and "赢单率（按销售）" in texts(fig)


@pytest.mark.parametrize("name", ["kpi", "outbound calls", "inbound leads"])
def test_a_chinese_dashboard(backend: RealBackend, name: str) -> None:
    """Its title is the board's Chinese name, its panels' titles their zh_title, its cards,
    gauges, tables and axes in Chinese."""
    from charts import figure_for_dashboard
    from charts.dashboards import find
    from metrics.query import Query

    def run(q: Query):  # type: ignore[no-untyped-def]
        return backend._run(q, f"{name} dashboard", TODAY, language=Language.ZH)

    with warnings_are_errors():
        fig = figure_for_dashboard(name, Query(dashboard=name), run, lang=Language.ZH)
    said = texts(fig)
    board = find(name)
    assert board.zh in said
    # Optional panels (CAC, quota attainment) are drawn only once their sources are imported.
    shown = [
        p.zh_title for p in board.panels if p.frame and not p.optional and "{" not in p.zh_title
    ]
    assert all(p.zh_title for p in board.panels if p.frame)  # every framed panel has one
    assert shown and all(title in said for title in shown)
    assert not any(re.search(r"\b(data as of|vs|previous period|this quarter)\b", s) for s in said)


@pytest.mark.parametrize("lang", list(Language))
@pytest.mark.parametrize(
    ("grouping", "values"),
    [
        ("weekday", ("Mon", "Tue", "Wed", "Thu")),
        ("month of year", ("Jan", "Feb", "Mar", "Apr")),
    ],
)
def test_a_legend_of_an_ordered_grouping_is_in_its_own_order(
    lang: Language, grouping: str, values: tuple[str, ...]
) -> None:
    """Grouped columns (calls by rep by weekday): the legend is Mon … Thu / 周一 … 周四, whichever
    value the first rep's rows happen to start with, and never the labels' text order."""
    import dataclasses

    from i18n import words
    from tests.chart_answers import make

    # the first rep made no calls on the third value: its rows skip it (made up by hand)
    rows = [("温家豪", v, 10 + k) for k, v in enumerate(values) if k != 2]
    rows += [("李静", v, 20 + k) for k, v in enumerate(values)]
    a = make(f"calls by rep by {grouping}", ("calls",), ("rep", grouping), rows)
    a = dataclasses.replace(a, language=lang)
    fig = figure_for_answer(a)
    assert fig is not None
    names = words(lang, "weekdays" if grouping == "weekday" else "months")[:4]
    legend = [t.get_text() for t in fig.texts if t.get_text() in names]
    assert legend == list(names)


@pytest.mark.parametrize("lang", list(Language))
def test_a_dashboard_filter_is_said_once(backend: RealBackend, lang: Language) -> None:
    """The outbound board for one rep: its title names the filter; a by-rep panel left with
    that one rep does not say it again above the chart ("rep: Bob Smith" / "销售：Bob Smith")."""
    from charts import figure_for_dashboard
    from i18n import t
    from metrics.query import Filter, Query

    def run(q: Query):  # type: ignore[no-untyped-def]
        return backend._run(q, "outbound calls dashboard", TODAY, language=lang)

    asked = Query(dashboard="outbound calls", filters=(Filter("rep", "in", ("Bob Smith",)),))
    fig = figure_for_dashboard("outbound calls", asked, run, lang=lang)
    said = texts(fig)
    rep = {Language.EN: "rep", Language.ZH: "销售"}[lang]
    assert t(lang, "chart.value_of", name=rep, value="Bob Smith") not in said
    assert any("Bob Smith" in s for s in said)  # said once: in the title


def test_a_panel_without_data_says_so_in_the_boards_language(backend: RealBackend) -> None:
    """Bob Smith made no outbound calls last quarter (Jan – Mar 2024): the weekday panel's
    sentence is Chinese on a Chinese board, not the English "No data. No data for …"."""
    from charts import figure_for_dashboard
    from metrics.query import Filter, Query, WindowSpec

    def run(q: Query):  # type: ignore[no-untyped-def]
        return backend._run(q, "outbound calls dashboard", TODAY, language=Language.ZH)

    asked = Query(
        dashboard="outbound calls",
        filters=(Filter("rep", "in", ("Bob Smith",)),),
        window=WindowSpec(kind="previous", unit="quarter"),
    )
    said = texts(figure_for_dashboard("outbound calls", asked, run, lang=Language.ZH))
    assert any(s.startswith("2024年1月1日 – 3月31日（上季度）没有符合") for s in said), said
    assert not any("No data" in s for s in said)
