"""Current vs previous as a dumbbell: one row per group, the previous value a grey dot, the
current one a blue dot, a bar of grey between them, the current value and the change written
in two columns at the right.

Chosen over side-by-side bars (``charts.choose``) when a comparison has more groups than pairs
of bars read well: each group keeps one row instead of two bars, so twice as many fit at the
same type size, and the eye reads the direction and size of each change along one line. Dots
sit on positions, not lengths, so the scale spans the values (with a value axis underneath)
rather than starting at zero.
"""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure

import i18n
from charts import axis, measure, theme
from charts.bars import (
    LABEL_PAD,
    NAME_SHARE,
    NOTE_IN,
    Pairs,
    capacity,
    compare_pairs,
    note_under,
    row_font,
    rows_frame,
)
from charts.canvas import (
    Ctx,
    Rect,
    axes_in,
    below_legend,
    caveat_key,
    clean,
    dimension_columns,
    fmt_value,
    legend,
    rect_inches,
    side_names,
    value_axis,
)
from charts.choose import plural_of
from metrics.answer import Answer, Column

_DOT_PT = 6.5  # a dot's diameter in points
_AXIS_IN = 0.24  # the value axis under the rows
_GAP_IN = 0.12  # between the current value and its change


def draw_dumbbell(fig: Figure, rect: Rect, answer: Answer, ctx: Ctx) -> None:
    """One KPI by a category, current vs previous: a dumbbell per group, best current first."""
    col, pairs = compare_pairs(answer, ctx)
    now_name, then_name = side_names(answer)
    legend(fig, rect, [(now_name, theme.ACCENT), (then_name, theme.PREVIOUS)], ctx, mark="●")
    key = caveat_key(answer, col)
    if key:
        fig.text(
            rect[0] + rect[2],
            rect[1] + rect[3],
            key,
            ha="right",
            va="top",
            fontsize=ctx.pt(theme.SMALL),
            color=theme.MUTED,
        )
    inner = below_legend(fig, rect)
    w, h = rect_inches(fig, inner)
    cap = capacity(h - _AXIS_IN - 0.1)
    note = None
    if len(pairs.names) > cap:
        nouns = plural_of(answer.columns[dimension_columns(answer)[0]], ctx.lang)
        note = i18n.t(ctx.lang, "chart.bars.top", cap=cap, n=len(pairs.names), nouns=nouns)
        pairs = pairs.head(cap)
    n = len(pairs.names)
    plot_h = h - _AXIS_IN - 0.05 - (NOTE_IN if note else 0.0)
    size = row_font(ctx, plot_h, n)
    names = axis.beside_bars(pairs.names, w * NAME_SHARE, size, plot_h / n)
    values = [fmt_value(v, col, ctx) for v in pairs.cur]
    vsize = max(size * 0.95, axis.MIN_LABEL_PT)
    value_w = max(measure.width(v, vsize) for v in values)
    change_w = max(measure.width(g, vsize, bold=True) for g in pairs.changes)
    right = 0.1 + value_w + _GAP_IN + change_w + 0.04
    left = max(measure.width(x, size) for x in names) + LABEL_PAD
    ax = axes_in(
        fig, inner, left=left, right=right, top=0.02, bottom=_AXIS_IN + (NOTE_IN if note else 0.0)
    )
    _rows(ax, pairs, n, plot_h)
    ax.set_yticks(list(range(n)), names, fontsize=size, linespacing=1.0)
    clean(ax, grid="y")
    value_axis(ax.xaxis, col, ctx)
    ax.tick_params(axis="x", labelsize=ctx.pt(theme.SMALL), labelcolor=theme.MUTED)
    _columns(ax, pairs, values, col, vsize, value_w, right)
    if note:
        note_under(fig, inner, note, ctx)


def _rows(ax: Axes, pairs: Pairs, n: int, plot_h: float) -> None:
    """The dumbbells, top to bottom; the value range padded so no dot is cut at the edges."""
    rows_frame(ax, n, plot_h)
    present = [v for v in pairs.cur + pairs.prev if v is not None]
    lo, hi = (min(present), max(present)) if present else (0.0, 1.0)
    pad = (hi - lo) * 0.06 or abs(hi) * 0.1 or 1.0
    ax.set_xlim(lo - pad, hi + pad)
    if lo < 0 < hi:  # gains and losses: zero is the line to read them against
        ax.axvline(0.0, color=theme.RULE, linewidth=1.0, zorder=1)
    # One artist per kind (not per row): a chart stays fast with dozens of rows.
    both = [
        (y, c, p)
        for y, (c, p) in enumerate(zip(pairs.cur, pairs.prev, strict=True))
        if c is not None and p is not None
    ]
    ax.hlines(
        [y for y, _, _ in both],
        [p for _, _, p in both],
        [c for _, c, _ in both],
        colors=theme.PREVIOUS,
        linewidth=2.2,
        zorder=2,
    )
    prev = [(y, p) for y, p in enumerate(pairs.prev) if p is not None]
    ax.scatter(
        [p for _, p in prev],
        [y for y, _ in prev],
        s=_DOT_PT**2,
        color=theme.PREVIOUS,
        zorder=3,
        linewidths=0,
    )
    # Partial or provisional: hollow; on a small sample: pale (the key above says which).
    cur = [
        (y, c, h, colour)
        for y, (c, h, colour) in enumerate(zip(pairs.cur, pairs.hollow, pairs.colours, strict=True))
        if c is not None
    ]
    ax.scatter(
        [c for _, c, _, _ in cur],
        [y for y, _, _, _ in cur],
        s=_DOT_PT**2,
        facecolors=["white" if h else colour for _, _, h, colour in cur],
        edgecolors=[colour for _, _, _, colour in cur],
        zorder=4,
        linewidths=1.2,
    )


def _columns(
    ax: Axes,
    pairs: Pairs,
    values: list[str],
    col: Column,
    vsize: float,
    value_w: float,
    right: float,
) -> None:
    """The current value (right-aligned in its column) and the change, beside the plot."""
    value_end = (0.1 + value_w) * 72
    for y, text, change in zip(range(len(values)), values, pairs.changes, strict=True):
        ax.annotate(
            text,
            (1.0, y),
            xycoords=("axes fraction", "data"),
            xytext=(value_end, 0),
            textcoords="offset points",
            ha="right",
            va="center",
            fontsize=vsize,
            color=theme.INK,
        )
        ax.annotate(
            change,
            (1.0, y),
            xycoords=("axes fraction", "data"),
            xytext=(right * 72 - 3, 0),
            textcoords="offset points",
            ha="right",
            va="center",
            fontsize=vsize,
            fontweight="bold",
            color=pairs.change_colour(y, col.better),
        )
