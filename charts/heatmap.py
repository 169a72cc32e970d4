"""Two groupings with many cells (weekday × hour, rep × month, rep × disposition): a heatmap.

Rows are the category (sorted by total, best first) or the first grouping; columns the
grouping in natural order (hours, weekdays, months). Each cell carries its value when the value
fits the cell; darker is more (for "lower is better" KPIs too: the colour reads as amount, the
title says which way is good). More rows than fit become the top rows plus "N others" (counts
and sums) or a note.
"""

from __future__ import annotations

from matplotlib.colors import LinearSegmentedColormap, to_rgb
from matplotlib.figure import Figure

from charts import axis, measure, theme
from charts.bars import capacity, limit_rows
from charts.canvas import (
    Ctx,
    Rect,
    axes_in,
    clean,
    column,
    dim_label,
    dimension_columns,
    fmt_value,
    metric_columns,
    rect_inches,
)
from charts.choose import grouping_kind, in_natural_order, plural_of
from metrics.answer import Answer

_CMAP = LinearSegmentedColormap.from_list("kpibot", ["#EEF3FC", theme.ACCENT, "#163C82"])
_EMPTY = "#F3F4F6"


def _axes_of(answer: Answer) -> tuple[int, int]:
    """(row grouping, column grouping): a category goes down the side, an ordered or time
    grouping across; two categories put the one with fewer values across."""
    d1, d2 = dimension_columns(answer)[:2]
    k1, k2 = (grouping_kind(answer.columns[d].name) for d in (d1, d2))
    if k1 != "category" and k2 == "category":
        return d2, d1
    if k1 == k2 == "category":
        n1 = len({r[d1] for r in answer.rows})
        n2 = len({r[d2] for r in answer.rows})
        return (d1, d2) if n1 >= n2 else (d2, d1)
    return d1, d2


def draw_heatmap(fig: Figure, rect: Rect, answer: Answer, ctx: Ctx) -> None:
    dr, dc = _axes_of(answer)
    m = metric_columns(answer)[0]
    col = answer.columns[m]
    rows_v: list[object] = []
    cols_v: list[object] = []
    cell: dict[tuple[object, object], float | None] = {}
    total: dict[object, float] = {}
    for r, v in zip(answer.rows, column(answer, m), strict=True):
        if r[dr] not in total:
            rows_v.append(r[dr])
            total[r[dr]] = 0.0
        if r[dc] not in cols_v:
            cols_v.append(r[dc])
        total[r[dr]] += v or 0.0
        cell[(r[dr], r[dc])] = v
    if grouping_kind(answer.columns[dr].name) == "category":
        rows_v.sort(key=lambda k: total[k], reverse=col.better != "lower")
    elif grouping_kind(answer.columns[dr].name) == "ordered":
        rows_v = in_natural_order(answer.columns[dr].name, rows_v)
    if grouping_kind(answer.columns[dc].name) == "time":
        cols_v.sort(key=str)
    elif grouping_kind(answer.columns[dc].name) == "ordered":  # hours, weekdays
        cols_v = in_natural_order(answer.columns[dc].name, cols_v)
    w, h = rect_inches(fig, rect)
    names = [dim_label(answer, dr, v, ctx) for v in rows_v]
    kept = limit_rows(names, [total[k] for k in rows_v], capacity(h - 0.6), col,
                      plural_of(answer.columns[dr], ctx.lang), lang=ctx.lang)
    summed = kept.others
    grid = [[cell.get((rows_v[i], c)) for c in cols_v]
            for i in range(len(kept.names) - summed)]
    if summed:  # the "N others" row: the rows left out, summed per column
        rest = rows_v[len(grid):]
        grid.append([sum(cell.get((r, c)) or 0.0 for r in rest) for c in cols_v])
    _draw(fig, rect, answer, ctx, kept.names, [dim_label(answer, dc, c, ctx) for c in cols_v],
          grid, kept.note, countable=answer.columns[dc].name in ("hour", "day", "week"),
          summed=summed)


def _draw(fig: Figure, rect: Rect, answer: Answer, ctx: Ctx, row_names: list[str],
          col_names: list[str], grid: list[list[float | None]], note: str | None,
          countable: bool, summed: bool = False) -> None:
    m = metric_columns(answer)[0]
    col = answer.columns[m]
    w, h = rect_inches(fig, rect)
    n, k = len(row_names), len(col_names)
    # Values go in the cells when they fit; otherwise a colour key says what dark means.
    cell_w = (w - 0.5) / k
    note_h = 0.22 if note or cell_w < 0.45 else 0.0
    size = min(ctx.pt(theme.LABEL), max(axis.MIN_LABEL_PT, (h - 0.6 - note_h) * 72 / n * 0.7))
    row_h = (h - 0.6 - note_h) / n
    names = axis.beside_bars(row_names, w * 0.45, size, row_h)
    left = max(measure.width(x, size) for x in names) + 0.1
    slot = (w - left - 0.1) / k
    xl = axis.under_columns(col_names, slot, size, room=0.55, countable=countable)
    if xl is None:
        xl = axis.ColumnLabels(tuple(measure.fit(c, slot - 0.05, size) for c in col_names), 0,
                               measure.height(1, size))
    ax = axes_in(fig, rect, left=left, right=0.1, bottom=xl.height + 0.1 + note_h, top=0.05)
    # The colour scale is the rows' own; an "N others" row (a sum of many) is written on grey.
    scaled = grid[:-1] if summed else grid
    present = [v for r in scaled for v in r if v is not None]
    lo, hi = min(present + [0.0]), max(present + [0.0])
    span = (hi - lo) or 1.0
    rgba = [[_EMPTY if v is None else _CMAP((v - lo) / span) for v in r] for r in scaled]
    if summed:
        rgba.append([_EMPTY for _v in grid[-1]])
    ax.imshow([[to_rgb(c) if isinstance(c, str) else c[:3] for c in r] for r in rgba],
              aspect="auto", interpolation="nearest")
    clean(ax)
    ax.set_yticks(range(n), names, fontsize=size, linespacing=1.0)
    if xl.rotation:
        ax.set_xticks(range(k), xl.texts, fontsize=max(size * 0.88, axis.MIN_LABEL_PT),
                      rotation=xl.rotation, ha="right", rotation_mode="anchor")
    else:
        ax.set_xticks(range(k), xl.texts, fontsize=size, linespacing=1.1)
    # Values inside the cells when every one fits its cell.
    vsize = max(min(size * 0.9, row_h * 72 * 0.55), axis.MIN_LABEL_PT)
    texts = [[fmt_value(v, col, ctx) for v in r] for r in grid]
    widest = max(measure.width(t, vsize) for r in texts for t in r)
    written = widest < slot - 0.04 and measure.height(1, vsize) < row_h
    if not written:
        _key(fig, rect, fmt_value(lo, col, ctx), fmt_value(hi, col, ctx), ctx)
    if written:
        for i, r in enumerate(grid):
            for j, v in enumerate(r):
                dark = v is not None and (v - lo) / span > 0.55 and not (summed and i == n - 1)
                ax.text(j, i, texts[i][j], ha="center", va="center", fontsize=vsize,
                        color="white" if dark else theme.INK)
    if note:
        fw, fh = fig.get_size_inches()
        fig.text(rect[0] + 0.02 / fw, rect[1] + 0.02 / fh, note, fontsize=ctx.pt(theme.SMALL),
                 color=theme.MUTED, va="bottom", ha="left")


def _key(fig: Figure, rect: Rect, low: str, high: str, ctx: Ctx) -> None:
    """'0 ■■■■■ 355' at the bottom right: the colour scale, when cells carry no values."""
    fw, fh = fig.get_size_inches()
    size = ctx.pt(theme.SMALL)
    y = rect[1] + 0.02 / fh
    right = rect[0] + rect[2] - 0.02 / fw
    x = right - measure.width(high, size) / fw
    fig.text(x, y, high, fontsize=size, color=theme.MUTED, va="bottom", ha="left")
    box = measure.width("■", size * 1.3)
    x -= 0.05 / fw
    for i in range(5, 0, -1):
        x -= (box + 0.01) / fw
        fig.text(x, y, "■", fontsize=size * 1.3, va="bottom", ha="left",
                 color=_CMAP((i - 1) / 4))
    x -= (measure.width(low, size) + 0.06) / fw
    fig.text(x, y, low, fontsize=size, color=theme.MUTED, va="bottom", ha="left")
