"""The chart gallery, every other answer shape: time (partial periods, compared, nulls,
negatives), natural order (weekday, hour, stage, contact attempt), two groupings (grouped bars,
lines, heatmaps), single KPIs, gauges, funnels, parts of a whole, records. Each figure must keep
the layout facts of tests/layout_facts.py."""

from __future__ import annotations

import pytest

from charts import choose, figure_for_answer, texts
from tests import chart_answers as ca
from tests import gallery, layout_facts
from tests.strict_drawing import warnings_are_errors

TARGETS = {"gauge": 5000.0}


@pytest.mark.parametrize("name", sorted(gallery.SHAPES))
def test_answer_has_a_sound_layout(name: str) -> None:
    with warnings_are_errors():
        fig = figure_for_answer(gallery.SHAPES[name](), target=TARGETS.get(name))
    assert fig is not None
    assert layout_facts.check(fig, gallery.ALL_NAMES) == []


# Two groupings get a chart that shows every cell, never a truncated table.
@pytest.mark.parametrize(("name", "kind"), [
    ("grouped_rep5_disposition3", "grouped"), ("heatmap_rep12_disposition5", "heatmap"),
    ("heatmap_rep40_weekday5", "heatmap"), ("heatmap_weekday_hour", "heatmap"),
    ("heatmap_month_rep12", "heatmap"), ("lines_month_source3", "lines"),
    ("nested_team3_rep12", "nested"), ("nested_team6_rep40_cjk", "nested"),
    ("nested_team2_rep11_rate", "nested"),
])
def test_two_groupings_are_drawn(name: str, kind: str) -> None:
    assert choose(gallery.SHAPES[name]()) == kind


def test_a_grouping_with_one_value_is_said_not_drawn() -> None:
    # deals won last quarter by rep and quarter vs previous quarter: the quarter has one value.
    rows = [(r, "Q3 2026", 10 + i, 8 + i) for i, r in enumerate(ca.REPS)]
    a = ca.make("deals won last quarter by rep and quarter vs previous quarter", ("deals won",),
                ("rep", "quarter"), rows, window=ca.LAST_Q, compare=ca.PREV_Q)
    fig = figure_for_answer(a)
    assert fig is not None
    drawn = texts(fig)
    assert "Deals won by rep" in drawn  # not "by rep and quarter"
    # a comparison (its sides named as main's legends name them), no one-entry legend
    assert "previous period" in drawn and "Q3 2026" not in drawn
    assert "▲ 25.0%" in drawn  # 温家豪: 10 vs 8 → +25.0%


def test_constant_columns_of_records_are_said_once() -> None:
    fig = figure_for_answer(gallery.SHAPES["records_one_rep"]())
    assert fig is not None
    drawn = texts(fig)
    assert "Every row: Rep: Olivia Brown" in drawn
    assert "Olivia Brown" not in drawn and "Rep" not in drawn


def test_time_axis_labels_never_touch() -> None:
    fig = figure_for_answer(gallery.SHAPES["line_month_12_this_year"]())
    assert fig is not None
    ticks = [t for t in layout_facts.drawn_texts(fig) if t.text.endswith("2026")
             and len(t.text) == 8]
    ticks.sort(key=lambda t: t.box.x0)
    assert len(ticks) >= 3
    for a, b in zip(ticks, ticks[1:], strict=False):
        assert b.box.x0 - a.box.x1 > 10, (a.text, b.text)  # pixels between "Oct 2026" "Dec 2026"


def test_reps_within_teams_are_bars_grouped_by_team() -> None:
    from tests.layout_facts import drawn_texts

    fig = figure_for_answer(gallery.SHAPES["nested_team3_rep12"]())
    assert fig is not None
    ax = fig.axes[0]
    names = [t.get_text() for t in ax.get_yticklabels()]
    # Reps i = 0, 3, 6, 9 are on the Outbound Team (i % 3 == 0) and sit together, one colour.
    outbound = [gallery.MIXED[i] for i in (0, 3, 6, 9)]
    at = sorted(names.index(n) for n in outbound)
    assert at == list(range(at[0], at[0] + 4))
    colours = {tuple(ax.patches[i].get_facecolor()) for i in at}
    assert len(colours) == 1
    # the legend names the three teams, each whole
    drawn = {t.text for t in drawn_texts(fig)}
    assert {"Outbound Team", "Inbound Team", "Partner Sales Team - Asia Pacific"} <= drawn
