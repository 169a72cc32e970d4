"""Every chart kind renders from an Answer: a valid PNG of the documented size, no warnings
(missing Chinese glyphs would warn), and the numbers a manager reads are drawn."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import replace

import pytest

from charts import chart_pixels, figure_for_answer, render_answer, texts
from charts.labels import cut, display_width, title_of, wrap
from i18n import Language
from tests import chart_answers as ca
from tests import layout_facts
from tests.strict_drawing import warnings_are_errors

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which always comes first."""
    assert png[:8] == PNG_SIGNATURE
    assert png[12:16] == b"IHDR"
    w, h = struct.unpack(">II", png[16:24])
    return w, h


@pytest.fixture(autouse=True)
def _strict_drawing() -> Iterator[None]:
    with warnings_are_errors():
        yield


TARGETS = {"gauge_count": 5000.0, "gauge_rate": 0.2}


@pytest.mark.parametrize("name", sorted(ca.ALL))
def test_renders_png_of_documented_size(name: str) -> None:
    png = render_answer(ca.ALL[name](), target=TARGETS.get(name))
    assert png is not None
    assert png_size(png) == chart_pixels() == (1120, 700)


def test_png_decodes() -> None:
    import io

    from matplotlib.image import imread

    png = render_answer(ca.calls_by_rep())
    assert png is not None
    img = imread(io.BytesIO(png), format="png")
    assert img.shape[:2] == (700, 1120)
    # Not a blank canvas: the accent bars are there.
    assert (img[..., :3].reshape(-1, 3).std(axis=0) > 0.05).all()


# What must be written on each chart (formatted by hand from the sample's numbers).
DRAWN = {
    "kpi": ["Connect rate", "17.9%", "−1.3 pp", "vs 19.2%",
            "27 May – 26 Jun 2024 (last 31 days) · vs 26 Apr – 26 May 2024",
            "data as of 27 Jun 2024 06:00"],
    "kpi_row": ["$1.3M", "▲ 16.5%", "38", "▲ 8.6%", "$33,803", "41.6 d", "▼ 8.0%", "3.4 h",
                "62.0%"],
    "bars": ["温家豪", "李静", "Sarah O'Connor", "Miguel Hernández-Castellanos", "1,240",
             "701"],  # every name fits whole beside its bar
    "bars_lower_better": ["1.2 h", "6.1 h", "—"],
    "columns_weekday": ["Mon", "Fri", "21.1%", "13.1%"],
    "columns_stage": ["Prospecting", "15.1 d"],
    "columns_month": ["Jan 2024", "Jun 2024", "$455.3k"],
    "line_day": ["27 May", "26 Jun", "130"],
    "line_compare": ["current", "previous period", "14.0%"],
    "compare_category": ["Web", "14", "▲ 27.3%", "▼ 50.0%", "0.0%"],
    "compare_weekday": ["▲ 10.3%", "1,105", "▼ 11.6%"],
    # 温家豪 6 vs 5 → +20.0%; Sarah O'Connor 11 vs 12 → −8.3%
    "dumbbell": ["温家豪", "▲ 20.0%", "11", "▼ 8.3%", "current", "previous period"],
    "grouped": ["Connected", "No Answer", "温家豪"],
    "lines": ["Web", "Cold Call", "Partner"],
    "panels": ["Calls", "Deals won", "1,240", "21.0%", "14"],
    "table_many": ["Rep 01", "983"],
    "donut_share": ["Web", "41.0%", "8.0%"],
    "donut_pie": ["1,001", "total", "41.2%", "412"],
    "stacked": ["other (2)", "19.2%"],
    "funnel": ["Leads", "New opportunities", "Deals won", "1,240", "222", "38", "↓ 17.9%",
               "↓ 17.1%"],
    # a rate changes in points: 17.9 − 19.2 = −1.3 pp
    "gauge_rate": ["17.9%", "target 20.0%", "90% of target", "−1.3 pp vs 19.2%"],
    "gauge_count": ["4,894", "target 5,000", "98% of target"],
    "records": ["华东区", "上海远景", "$184,000", "28 Mar 2024", "96.0 d", "Cycle"],
}


@pytest.mark.parametrize("name", sorted(DRAWN))
def test_numbers_drawn(name: str) -> None:
    fig = figure_for_answer(ca.ALL[name](), target=TARGETS.get(name))
    assert fig is not None
    drawn = texts(fig)
    for expected in DRAWN[name]:
        # A heading wrapped on two lines still says it.
        assert any(expected in t.replace("\n", " ") for t in drawn), (expected, drawn)


def test_title_is_restated_question_and_subtitle_its_window() -> None:
    fig = figure_for_answer(ca.connect_rate_by_weekday())
    assert fig is not None
    drawn = texts(fig)
    assert "Connect rate by weekday" in drawn
    assert "27 May – 26 Jun 2024 (last 31 days)" in drawn


def test_no_rows_no_chart() -> None:
    assert render_answer(ca.empty()) is None
    assert figure_for_answer(ca.empty()) is None


def test_refused_override_is_said_on_the_chart() -> None:
    import dataclasses

    a = ca.calls_by_rep()
    a = dataclasses.replace(a, query=dataclasses.replace(a.query, chart="gauge"))
    fig = figure_for_answer(a)
    assert fig is not None
    assert any(t.startswith("Not shown as gauge") for t in texts(fig))


def test_currency_setting_reaches_the_labels() -> None:
    fig = figure_for_answer(ca.revenue_by_month(), currency="CNY")
    assert fig is not None
    assert any(t.startswith("¥") for t in texts(fig))


def test_fiscal_quarters_on_time_axis() -> None:
    from datetime import date

    rows = [(date(2024, m, 1), 100.0 * m) for m in (4, 7, 10)]
    a = ca.make("revenue won by quarter", ("revenue won",), ("quarter",), rows)
    fig = figure_for_answer(a, fiscal_start_month=4)
    assert fig is not None
    assert {"FY2025 Q1", "FY2025 Q2", "FY2025 Q3"} <= set(texts(fig))


def test_chinese_font_is_shipped_and_used() -> None:
    from matplotlib import font_manager

    from charts import theme

    theme.setup()
    names = {f.name for f in font_manager.fontManager.ttflist}
    assert "WenQuanYi Micro Hei" in names
    # A Chinese-only label resolves to the shipped file, not to a system font.
    path = font_manager.findfont(font_manager.FontProperties(family="WenQuanYi Micro Hei"))
    assert path.endswith("charts/fonts/wqy-microhei.ttc")


def test_cut_and_wrap() -> None:
    assert cut("温家豪", 6) == "温家豪"
    assert cut("温家豪温家豪", 6) == "温家…"
    assert display_width("温a") == 3
    assert wrap("Negotiation/Review", 12) == "Negotiation/\nReview"
    assert wrap("one two three four five six", 9, 2) == "one two\nthree fo…"


def test_title_drops_window_and_brackets() -> None:
    assert title_of(ca.connect_rate_by_weekday()) == "Connect rate by weekday"


def test_gauge_without_a_value_says_dash() -> None:
    a = ca.make("connect rate as gauge", ("connect rate",), (), [(None,)], chart="gauge")
    fig = figure_for_answer(a, target=0.2)
    assert fig is not None
    assert "—" in texts(fig)


@pytest.mark.parametrize(
    ("lang", "note", "joiner"),
    [
        (
            Language.EN,
            "open pipeline: counted to 31 Dec 2026, the last day of this quarter (what is "
            "expected to close by then), not only to today.",
            " ",
        ),
        (
            Language.ZH,
            "在途商机金额：计至2026年12月31日，即本季度的最后一天（预计届时结束的都计入），"
            "而不只是到今天。",
            "",
        ),
    ],
)
def test_a_long_footnote_is_wrapped_whole_not_cut(lang: Language, note: str, joiner: str) -> None:
    # It was cut to one line: "open pipeline: counted to 31 Dec 2026, the la…".
    answer = replace(ca.revenue_by_month(), notes=(note,), language=lang)
    fig = figure_for_answer(answer)
    assert fig is not None
    foot = [t for t in texts(fig) if t in note and len(t) > 3]  # its lines, last one first
    assert len(foot) == 2  # two lines at the image's full width
    assert joiner.join(reversed(foot)) == note
    assert layout_facts.check(fig) == []  # nothing overlaps it or runs off the canvas


@pytest.mark.parametrize("metrics", [("win rate",), ("calls", "connect rate")])
def test_a_chart_of_thousands_of_reps_reads_each_value_a_few_times(
    metrics: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    # At 100M Tasks the org has 6,818 reps: each drawn bar re-read the whole column (and its
    # hollow flags), 93 million reads and 9 s for one chart. Drawing reads each value a few
    # times however many rows there are (the chart shows the top ones and sums the rest).
    import charts.canvas

    reads = 0
    real = charts.canvas.num

    def counted(v: object) -> float | None:
        nonlocal reads
        reads += 1
        return real(v)

    monkeypatch.setattr(charts.canvas, "num", counted)
    n = 3000
    rows = [(f"Rep {i:04d}", *(0.5 - i / (3 * n) for _ in metrics)) for i in range(n)]
    answer = ca.make(" and ".join(metrics) + " by rep", metrics, ("rep",), rows)
    render_answer(answer)
    assert 0 < reads <= 10 * n * len(metrics)
    # the note under the bars counts them as every other number is written: "of 3,000 reps"
    notes = [x for x in texts(figure_for_answer(answer)) if x.startswith("Top ")]
    assert len(notes) == 1 and " of 3,000 reps " in notes[0], notes
