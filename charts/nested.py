"""Two groupings where one lies within the other — reps within teams — drawn as the reps' bars,
grouped by team and coloured by it, with the teams in a legend.

A heatmap of rep × team would be a grid of empty cells (each rep is in one team), and grouped
bars would leave a gap for every team a rep is not in. Which grouping nests in which is read
from the answer's rows (``charts.choose.nesting``), not from names: lead source within channel
is drawn the same way.
"""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from charts import theme
from charts.bars import hbar_chart
from charts.canvas import (
    Ctx,
    Rect,
    below_legend,
    column,
    dim_label,
    dimension_columns,
    hollow_rows,
    legend,
    metric_columns,
)
from charts.choose import is_additive, nesting
from metrics.answer import Answer


def draw_nested(fig: Figure, rect: Rect, answer: Answer, ctx: Ctx) -> None:
    """The inner grouping's bars, best first within each outer value; outer values ordered by
    their total (counts and sums) or their best bar (rates, averages), one colour each."""
    outer, inner = nesting(answer) or dimension_columns(answer)[:2]
    m = metric_columns(answer)[0]
    col = answer.columns[m]
    vals = column(answer, m)
    higher = col.better != "lower"
    missing = float("-inf") if higher else float("inf")

    def value(i: int) -> float:
        v = vals[i]
        return missing if v is None else v

    groups: dict[Any, list[int]] = {}
    for i, row in enumerate(answer.rows):
        groups.setdefault(row[outer], []).append(i)
    for rows in groups.values():
        rows.sort(key=value, reverse=higher)
    additive = is_additive(col.metric or col.name)

    def rank(g: Any) -> float:
        return sum(vals[i] or 0.0 for i in groups[g]) if additive else value(groups[g][0])

    ordered = sorted(groups, key=rank, reverse=higher)
    palette = theme.SERIES[:-1]  # the last is the "others" grey
    colour = {g: palette[k % len(palette)] for k, g in enumerate(ordered)}
    order = [i for g in ordered for i in groups[g]]
    hollow = hollow_rows(answer, col)
    drawn = hbar_chart(fig, below_legend(fig, rect), answer, ctx, order, inner,
                       [colour[answer.rows[i][outer]] for i in order], [hollow[i] for i in order])
    # The legend names the groups whose bars are drawn (the rows that fit), in their order.
    shown = dict.fromkeys(answer.rows[i][outer] for i in order[:drawn])
    legend(fig, rect, [(dim_label(answer, outer, g, ctx), colour[g]) for g in shown], ctx)
