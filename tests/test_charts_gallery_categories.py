"""The chart gallery, category answers: bars, compared bars and KPI panels × (1, 5, 12, 40
groups) × (long Latin, CJK, mixed names) × (plain, nulls, zeros, negatives). Each figure must
keep the layout facts of tests/layout_facts.py."""

from __future__ import annotations

import warnings

import pytest

from charts import choose, figure_for_answer
from tests import gallery, layout_facts


@pytest.mark.parametrize("name", sorted(gallery.CATEGORY))
def test_category_answer_has_a_sound_layout(name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph would warn
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
