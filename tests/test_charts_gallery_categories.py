"""The chart gallery, category answers: bars, compared bars and KPI panels × (1, 5, 12, 40
groups) × (long Latin, CJK, mixed names) × (plain, nulls, zeros, negatives). Each figure must
keep the layout facts of tests/layout_facts.py."""

from __future__ import annotations

from dataclasses import replace

import pytest

from charts import choose, figure_for_answer
from i18n import Language
from tests import gallery, layout_facts
from tests.strict_drawing import warnings_are_errors


@pytest.mark.parametrize("name", sorted(gallery.CATEGORY))
def test_category_answer_has_a_sound_layout(name: str) -> None:
    with warnings_are_errors():  # a missing glyph would warn
        fig = figure_for_answer(gallery.CATEGORY[name]())
    assert fig is not None
    assert layout_facts.check(fig, gallery.ALL_NAMES) == []


@pytest.mark.parametrize("size", [5, 12, 40])
def test_many_groups_stay_a_chart(size: int) -> None:
    # 40 reps is a chart of the top ones, not a table cut at "+ 28 more rows".
    name = next(n for n in gallery.CATEGORY if n.startswith(f"bars_{size}_latin_"))
    assert choose(gallery.CATEGORY[name]()) == "bars"


def test_forty_reps_show_the_top_ones_and_the_others_summed() -> None:
    from charts import texts

    fig = figure_for_answer(gallery.CATEGORY["bars_40_latin_nulls"]())
    assert fig is not None
    drawn = texts(fig)
    others = sorted({t for t in drawn if t.endswith("other reps")})
    assert len(others) == 1
    kept = int(others[0].split()[0])
    assert any(t == f"Top {40 - kept} of 40 reps; the other {kept} summed in the last row"
               for t in drawn)


def test_three_character_names_are_never_cut() -> None:
    from charts import texts

    for name in ("bars_12_cjk_negatives", "compare_12_cjk_negatives", "panels_40_cjk_zeros"):
        fig = figure_for_answer(gallery.CATEGORY[name]())
        assert fig is not None
        assert not any(t.endswith("…") and len(t) <= 4 for t in texts(fig)), name


def test_many_groups_compared_are_dumbbells_few_are_pairs_of_bars() -> None:
    from charts import choose

    # 1 and 5 groups: side-by-side pairs; 12 and 40 (more than MAX_SIDE_BY_SIDE = 7): dumbbells
    for name, kind in (("compare_1_latin_plain", "compare"), ("compare_5_cjk_plain", "compare"),
                       ("compare_12_mixed_plain", "dumbbell"),
                       ("compare_40_cjk_zeros", "dumbbell")):
        assert choose(gallery.CATEGORY[name]()) == kind, name
    # asked as bars, the pairs of bars stay
    assert choose(gallery.SHAPES["compare_bars_12_latin_zeros"]()) == "compare"


def test_a_dumbbell_keeps_one_row_per_group_and_writes_values_beside_the_plot() -> None:
    from matplotlib.collections import PathCollection

    from tests.layout_facts import drawn_texts

    answer = gallery.CATEGORY["compare_12_latin_zeros"]()
    fig = figure_for_answer(answer)
    assert fig is not None
    ax = fig.axes[0]
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert len(names) == 12  # one row per rep, not 24 bars
    # two dots a row (current and previous): every value of the gallery answer is present
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert sorted(len(d.get_offsets()) for d in dots) == [12, 12]
    # the current value and its change are in columns right of the plot, clear of every dot
    plot = ax.get_window_extent()
    texts = {t.text: t.box for t in drawn_texts(fig)}
    for value in ("3,000", "▲ 177.8%", "▼ 100.0%"):
        assert texts[value].x0 > plot.x1, value
    # rows are as tall as a label needs: the pitch is at least the label's height
    boxes = sorted((t.box for t in drawn_texts(fig) if t.text in names), key=lambda b: b.y0)
    assert all(b.y0 >= a.y1 - 1 for a, b in zip(boxes, boxes[1:], strict=False))


@pytest.mark.parametrize("name", ["compare_5_cjk_plain", "compare_12_mixed_plain"])
def test_a_compared_value_on_a_small_sample_is_pale_and_its_change_grey(name: str) -> None:
    import dataclasses

    from matplotlib.colors import to_hex

    from charts import theme
    from metrics.answer import Sample

    a = gallery.CATEGORY[name]()
    # every row on 50 records except the first row's, on 5 (fewer than min_sample = 20)
    counts = (5,) + (50,) * (len(a.rows) - 1)
    a = dataclasses.replace(a, samples=(Sample("deals won", "closed deals", counts),))
    fig = figure_for_answer(a)
    assert fig is not None
    first = a.rows[0][0]
    drawn = {t.get_text(): t for t in fig.findobj(lambda o: hasattr(o, "get_text"))}
    assert "pale: fewer than 20 closed deals" in drawn
    ax = fig.axes[0]
    names = [t.get_text() for t in ax.get_yticklabels()]
    row = names.index(first)
    # the change written on that row is grey, not red or green
    changes = [t for t in ax.texts if t.get_fontweight() == "bold"]
    mine = min(changes, key=lambda t: abs(t.xy[1] - row))
    assert to_hex(mine.get_color()) == to_hex(theme.MUTED)
    # and its current value is drawn pale
    faded = to_hex(theme.FADED)
    shapes = [*ax.patches, *ax.collections]
    colours = {to_hex(c) for s in shapes for c in (
        [s.get_facecolor()] if hasattr(s, "get_width") else list(s.get_facecolors()))}
    assert faded in colours


_REST_EN = "the other {rest} summed in the last row"


@pytest.mark.parametrize(
    ("dimension", "said", "lang", "summed"),
    [
        ("industry", "", Language.EN, "Top {keep} of 40 industries; " + _REST_EN),
        ("status", "", Language.EN, "Top {keep} of 40 statuses; " + _REST_EN),
        ("lead source", "", Language.EN, "Top {keep} of 40 lead sources; " + _REST_EN),
        ("industry", "行业", Language.ZH, "前 {keep} 个行业（共 40 个）；其余 {rest} 个合计为最后一行"),  # noqa: E501
    ],
)
def test_the_note_of_a_cut_chart_says_the_grouping_in_the_plural(
    dimension: str, said: str, lang: Language, summed: str
) -> None:
    # "industrys" was the note's {noun}s; the catalog's plural says it now (Chinese: one form).
    from charts import texts

    base = gallery.CATEGORY["bars_40_latin_nulls"]()
    columns = (replace(base.columns[0], name=dimension, said=said), *base.columns[1:])
    fig = figure_for_answer(replace(base, columns=columns, language=lang))
    assert fig is not None
    drawn = texts(fig)
    notes = [t for t in drawn if t.endswith(summed.rsplit("}", 1)[-1])]
    assert len(notes) == 1, drawn
    rest = 40 - int(notes[0].split()[1])  # "Top 12 of 40 …" / "前 12 个…": kept + rest = 40
    assert notes[0] == summed.format(keep=40 - rest, rest=rest)
