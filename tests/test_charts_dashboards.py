"""The three dashboards: one PNG each, the source document's panels with the right numbers,
the user's window and filters reaching every panel, and a panel without data not breaking it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from charts import dashboard_names, dashboard_pixels, figure_for_dashboard, render_dashboard, texts
from charts.dashboards import find, grain_for, workdays
from i18n import Language, Msg
from metrics.answer import Answer
from metrics.errors import NoData, Unsupported
from metrics.query import Filter, Query, WindowSpec
from tests import chart_answers as ca
from tests.strict_drawing import warnings_are_errors
from tests.test_charts_render import png_size


@pytest.fixture(autouse=True)
def _strict_drawing() -> Iterator[None]:
    with warnings_are_errors():
        yield


class Recorder:
    """A stand-in engine that keeps every query it was asked."""

    def __init__(self, fail: set[tuple[str, ...]] | None = None) -> None:
        self.queries: list[Query] = []
        self.fail = fail or set()

    def __call__(self, q: Query) -> Answer:
        self.queries.append(q)
        if q.metrics in self.fail:
            raise NoData("Nothing in 1 Apr – 27 Jun 2024.")
        return ca.serve(q)


def drawn(name: str, query: Query | None = None, run: Recorder | None = None) -> list[str]:
    fig = figure_for_dashboard(name, query or Query(dashboard=name), run or Recorder())
    return texts(fig)


def has(all_texts: list[str], *expected: str) -> None:
    for e in expected:
        assert any(e in t for t in all_texts), (e, all_texts)


@pytest.mark.parametrize("name", ["kpi", "outbound calls", "inbound leads"])
def test_each_dashboard_is_one_png(name: str) -> None:
    png = render_dashboard(name, Query(dashboard=name), Recorder())
    assert png_size(png) == dashboard_pixels() == (2400, 1500)


def test_names() -> None:
    assert dashboard_names() == ("kpi", "outbound calls", "inbound leads")
    assert find("外拨电话大屏").name == "outbound calls"
    assert find("KPI dashboard").name == "kpi"
    with pytest.raises(Unsupported) as e:
        find("marketing")
    assert "kpi dashboard" in e.value.suggestions


def test_kpi_dashboard_panels_and_numbers() -> None:
    t = drawn("kpi")
    has(t, "KPI dashboard", "1 Apr – 27 Jun 2024 (this quarter) · vs 1 Jan – 28 Mar 2024")
    # headline KPIs with their change vs the previous quarter (3.4 vs 4.1 h: −17.1%, lower is
    # better; follow-up rate 62.0% vs 58.0%: a rate, +4.0 percentage points)
    has(t, "3.4 h", "▼ 17.1%", "62.0%", "+4.0 pp", "4,312", "$33,803", "38", "41.6 d")
    # response time and follow-up rate per rep; deal size and deals by source; stages
    has(t, "温家豪", "1.2 h", "81.0%", "Partner Referral", "$52.1k", "Prospecting", "15.1 d")
    # top 5 deals of last quarter with their cycle length, dated as such
    has(
        t,
        "Top 5 deals of last quarter",
        "1 Jan – 31 Mar 2024",
        "$184,000",
        "96.0 d",
        "Sales activities",
    )


def test_kpi_dashboard_queries() -> None:
    rec = Recorder()
    drawn("kpi", run=rec)
    by = {q.metrics: q for q in rec.queries}
    assert by[("top deals",)].window == WindowSpec("previous", unit="quarter")
    assert by[("top deals",)].ranking is not None and by[("top deals",)].ranking.n == 5
    assert by[("time in stage",)].groupings == ("stage",)
    this_q = WindowSpec("this", unit="quarter")
    assert by[("lead response time", "follow-up rate")].window == this_q
    assert (
        by[
            (
                "lead response time",
                "follow-up rate",
                "activities",
                "average deal size",
                "deals won",
                "sales cycle length",
            )
        ].comparison
        is not None
    )
    # this quarter so far is 88 days: activities trend by week
    assert by[("activities",)].groupings == ("week",)


def test_outbound_dashboard_numbers_and_targets() -> None:
    t = drawn("outbound calls")
    has(t, "27 May – 26 Jun 2024 (last 31 days)", "17.9%", "−1.3 pp", "64", "128.8", "$33,803")
    # gauges: 27 May – 26 Jun 2024 has 23 working days, 5 reps:
    # calls 40 × 5 × 23 = 4,600; demos 0.6 × 5 × 23 = 69
    has(t, "4,894", "target 4,600", "106% of target", "41", "target 69", "59% of target")
    has(t, "Tue", "21.1%", "13.1%")  # connect rate by weekday
    # per rep: calls (growth 1,240 vs 1,180 = +5.1%), connect rate, deals won, demos
    has(t, "Miguel Hernández-Castellanos", "1,240", "▲ 5.1%", "▼ 12.7%", "21.0%", "14")


def test_inbound_dashboard_filters_and_trends() -> None:
    rec = Recorder()
    t = drawn("inbound leads", run=rec)
    has(
        t,
        "channel = inbound",
        "28 May – 26 Jun 2024 (last 30 days)",
        "17.9%",
        "14.8%",
        "2.6%",
        "Lead-to-opportunity ratio over time",
    )
    inbound = Filter("channel", "in", ("inbound",))
    assert rec.queries and all(inbound in q.filters for q in rec.queries)
    trends = [q for q in rec.queries if q.groupings]
    assert len(trends) == 3 and all(q.groupings == ("week",) for q in trends)
    assert all(q.window == WindowSpec("last", n=30, unit="day") for q in rec.queries)


def test_users_window_and_filters_reach_every_panel() -> None:
    """`outbound calls dashboard for 温家豪 last quarter`."""
    rep = Filter("rep", "in", ("温家豪",))
    last_q = WindowSpec("previous", unit="quarter")
    rec = Recorder()
    t = drawn(
        "outbound calls", Query(dashboard="outbound calls", filters=(rep,), window=last_q), rec
    )
    # The gauge's per-rep call targets are standing rates, read whole (not a panel).
    panels = [q for q in rec.queries if q.metrics != ("daily call target",)]
    assert panels and all(q.window == last_q and rep in q.filters for q in panels)
    has(t, "Outbound calls dashboard · rep = 温家豪", "1 Jan – 31 Mar 2024 (last quarter)")


def test_a_panel_without_data_says_so_and_the_rest_is_drawn() -> None:
    rec = Recorder(fail={("time in stage",), ("top deals",)})
    t = drawn("kpi", run=rec)
    has(
        t,
        "Average days in each stage",
        "Nothing in 1 Apr – 27 Jun 2024.",
        "Top 5 deals",
        "3.4 h",
        "温家豪",
    )
    assert not any("15.1 d" in x for x in t)
    # no answer, no window to name: the title does not guess one (its sentence has the dates)
    assert not any("Top 5 deals of" in x for x in t)


class SaidRecorder(Recorder):
    """Fails its panels with a sentence in the catalogue, as the engine's NoData is."""

    def __call__(self, q: Query) -> Answer:
        if q.metrics in self.fail:
            raise NoData(Msg("chart.no_data"))
        return super().__call__(q)


def test_a_panel_without_data_says_so_in_the_boards_language() -> None:
    rec = SaidRecorder(fail={("time in stage",)})
    zh = texts(figure_for_dashboard("kpi", Query(dashboard="kpi"), rec, lang=Language.ZH))
    assert "没有数据。" in zh
    assert not any("No data" in x for x in zh), zh
    en = texts(figure_for_dashboard("kpi", Query(dashboard="kpi"), SaidRecorder(rec.fail)))
    assert "No data." in en


def test_headline_without_data_gets_a_frame_and_a_sentence() -> None:
    rec = Recorder(
        fail={
            ("connect rate", "meetings booked", "deals won", "average deal size", "calls per deal")
        }
    )
    t = drawn("outbound calls", run=rec)
    # the engine's own sentence, which says when (no "No data." before it)
    has(t, "Against the previous period", "Nothing in 1 Apr – 27 Jun 2024.", "4,894")


def test_grain_and_workdays() -> None:
    assert grain_for(ca.LAST31) == "week"
    assert (
        grain_for(ca.ResolvedWindow(date(2024, 6, 13), date(2024, 6, 26), "last 14 days")) == "day"
    )
    assert grain_for(ca.THIS_Q) == "week"
    assert grain_for(ca.ResolvedWindow(None, None, "all time")) == "month"

    assert workdays(date(2024, 5, 27), date(2024, 6, 26)) == 23
    assert workdays(date(2024, 6, 1), date(2024, 6, 2)) == 0  # a weekend


def test_panels_are_valid_catalog_queries_on_a_sound_grid() -> None:
    from charts.choose import Chart
    from charts.dashboards import GRID_COLS, load
    from metrics.catalog_load import load_catalog

    cat = load_catalog()
    boards, targets = load()
    charts = set(Chart.__args__) | {"auto"}  # type: ignore[attr-defined]
    for b in boards.values():
        taken: set[tuple[int, int]] = set()
        for p in b.panels:
            assert p.chart in charts, (b.name, p.id)
            for m in p.query.metrics:
                metric = cat.metric(m)  # KeyError: not a catalog KPI
                for g in p.query.groupings:
                    assert g in metric.dimensions or cat.dimension(g).kind in ("grain", "datepart")
            row, col, rs, cs = p.at
            assert col + cs <= GRID_COLS and row + rs <= len(b.rows), (b.name, p.id)
            cells = {(r, c) for r in range(row, row + rs) for c in range(col, col + cs)}
            assert not cells & taken, f"{b.name}: {p.id} overlaps another panel"
            taken |= cells
            if p.target:
                assert p.target in targets and b.reps_panel is not None
        for f in b.filters:
            assert cat.has_dimension(f.dimension)


def test_users_comparison_replaces_previous_on_comparing_panels() -> None:
    from metrics.query import Comparison

    rec = Recorder()
    yoy = Comparison("last_year")
    drawn("outbound calls", Query(dashboard="outbound calls", comparison=yoy), rec)
    compared = [q for q in rec.queries if q.comparison is not None]
    assert compared and all(q.comparison == yoy for q in compared)
    assert any(q.comparison is None for q in rec.queries)  # connect rate by weekday


def test_filters_are_said_in_the_boards_language() -> None:
    """The asker's filters in the title and the board's own below it, each dimension by its
    name in the reader's language (the built-in inbound board keeps channel = inbound)."""
    zh = {"rep": "销售", "channel": "渠道"}
    said = texts(
        figure_for_dashboard(
            "inbound leads",
            Query(dashboard="inbound leads", filters=(Filter("rep", "in", ("温家豪",)),)),
            Recorder(),
            names=lambda n: zh.get(n, n),
            lang=Language.ZH,
        )
    )
    assert "入站线索大屏 · 销售 = 温家豪" in said
    assert any(x.endswith("渠道 = inbound") for x in said), said
    assert not any("channel" in x for x in said), said
