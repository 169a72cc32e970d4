"""The text table `kpibot ask` prints, Slack's code block and digests reuse: columns formatted
one format at a time, aligned by display width (CJK two columns), marks and bases, and a
surface showing the first rows formats only those."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text import answer_table, display_width, render_table, table_cells
from metrics.answer import Answer, Column, ResolvedWindow, Sample, Unsettled
from metrics.query import Query

WINDOW = ResolvedWindow(date(2026, 10, 1), date(2026, 12, 31), "this quarter")


def _answer(rows: tuple[tuple[object, ...], ...], **kw: object) -> Answer:
    cols = (
        Column("rep", "dimension", "text"),
        Column("win rate", "metric", "percent", metric="win rate", better="higher"),
        Column("win rate (previous)", "previous", "percent", metric="win rate"),
        Column("win rate growth", "growth", "percent", metric="win rate", label="win rate change"),
        Column("revenue won", "metric", "currency", metric="revenue won", better="higher"),
    )
    return Answer(
        question="win rate, revenue won by rep vs previous period",
        query=Query(metrics=("win rate", "revenue won")),
        restated="[win rate], [revenue won] by [rep] · this quarter",
        window=WINDOW,
        compare_window=None,
        columns=cols,
        rows=rows,
        sql="",
        **kw,  # type: ignore[arg-type]
    )


ROWS = (
    ("Alice", 0.25, 0.2, 0.25, 48250.0),  # 25.0% vs 20.0%: +5.0 pp
    ("温家豪", 0.125, 0.125, 0.0, 1200.0),  # no change: 0.0 pp
    ("Bob", None, 0.5, None, -300.0),  # no closed deals now: — and no change
)


def test_columns_are_aligned_by_display_width_with_marks_and_bases() -> None:
    a = _answer(
        ROWS,
        samples=(Sample("win rate", "closed deals", (40, 8, 0)),),  # 8 < 20: marked †
        unsettled=(Unsettled("win rate", "still open", (0.5, None, 0.0)),),  # 0.5 ≥ 0.1: ~
    )
    assert answer_table(a) == "\n".join(
        [
            "rep     win rate  closed deals  win rate (previous)  win rate change  revenue won",
            "------  --------  ------------  -------------------  ---------------  -----------",
            # an unmarked value keeps the room of " †", so the digits line up; the change of a
            # rate from a small base (温家豪's 8) is marked too
            "Alice   ~25.0%              40                20.0%        +5.0 pp        $48,250",
            "温家豪   12.5% †             8                12.5%         0.0 pp †       $1,200",
            "Bob          —               0                50.0%              —          -$300",
        ]
    )


def test_first_rows_only_are_formatted_and_the_rest_counted() -> None:
    many = tuple((f"rep {i}", 0.5, 0.25, 1.0, float(i)) for i in range(700))
    a = _answer(many, samples=(Sample("win rate", "closed deals", (30,) * 700),))
    header, cells, right = table_cells(a, max_rows=2)
    assert len(cells) == 2
    assert cells[1] == ["rep 1", "50.0%", "30", "25.0%", "+25.0 pp", "$1"]
    assert right == [False, True, True, True, True, True]
    text = answer_table(a, max_rows=2)
    assert text.splitlines()[-1] == "… 698 more rows"  # 700 − 2


def test_render_table_pads_wide_and_ascii_columns() -> None:
    assert display_width("温a") == 3 and display_width("▲ 1.0%") == 6
    table = render_table(["rep", "calls"], [["Alice", "1,204"], ["温家豪", "87"]], [False, True])
    assert table == "rep     calls\n------  -----\nAlice   1,204\n温家豪     87"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(st.sampled_from("aZ9.é−▲▼温家豪陈静𠀋ｱ"), min_size=1, max_size=8),
                min_size=1, max_size=12))
def test_every_line_of_a_column_is_as_wide_as_its_widest_cell(cells: list[str]) -> None:
    # Chinese beside Latin is padded from (characters + UTF-8 bytes) / 2; a column with an
    # accent, a narrow symbol or a four-byte character counts its wide characters one by one.
    # Either way each line ends up as wide on a terminal as the widest cell.
    for right in (False, True):
        lines = render_table(["h"], [[c] for c in cells], [right], separator=False).split("\n")
        widest = max(display_width(x) for x in ["h", *cells])
        padded = [line.ljust(len(line) + widest - display_width(line)) for line in lines]
        assert all(display_width(line) == widest for line in padded)
        shown = [line.strip() for line in lines]
        assert shown == [x.strip() for x in ["h", *cells]]
        if right:  # right-aligned: every line's right edge at the widest cell's
            assert all(display_width(line) == widest for line in lines)
