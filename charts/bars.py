"""Bar charts: sorted bars, columns in natural order, current vs previous, grouped, KPI panels."""

from __future__ import annotations

from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from charts import labels, theme
from charts.canvas import (
    Ctx,
    Rect,
    axes_in,
    bar_colours,
    below_legend,
    caveat_key,
    clean,
    column,
    companion,
    dim_label,
    dimension_columns,
    fmt_value,
    hollow_rows,
    legend,
    metric_columns,
    rect_inches,
    side_names,
    sorted_rows,
    value_axis,
)
from charts.choose import grouping_kind
from metrics.answer import Answer, Column
from metrics.format import change_sign, format_change

_PAD = 0.08  # inches between a label and its bar


def _row_font(ctx: Ctx, height_in: float, n: int) -> float:
    """Shrink labels when many rows share little height, so they never overlap."""
    per_row_pt = height_in * 72 / max(n, 1)
    return min(ctx.pt(theme.LABEL), max(6.0, per_row_pt * 0.62))


def _hbars(ax: Axes, names: list[str], vals: list[float | None], col: Column, ctx: Ctx,
           size: float, colours: list[str], hollow: list[bool]) -> None:
    """Horizontal bars top to bottom, value at each bar's end, no value axis (labels say it)."""
    n = len(vals)
    ys = list(range(n))
    xs = [v or 0.0 for v in vals]
    _outline_hollow(ax.barh(ys, xs, height=0.62, color=colours), hollow)
    top = max([*xs, 0.0]) or 1.0
    low = min([*xs, 0.0])
    ax.set_xlim(low, top * 1.02)
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_yticks(ys, names, fontsize=size)
    ax.set_xticks([])
    clean(ax)
    for y, v, x in zip(ys, vals, xs, strict=True):
        ax.annotate(fmt_value(v, col, ctx), (x if x >= 0 else 0, y), xytext=(4, 0),
                    textcoords="offset points", va="center", ha="left", fontsize=size * 0.95,
                    color=theme.INK)


def _names(answer: Answer, j: int, order: list[int], ctx: Ctx, width: int) -> list[str]:
    return [dim_label(answer, j, answer.rows[i][j], ctx, width) for i in order]


def _value_margin(vals: list[str], size: float) -> float:
    return max([labels.text_inches(v, size) for v in vals] + [0.3]) + 0.12


def draw_bars(fig: Figure, rect: Rect, answer: Answer, ctx: Ctx) -> None:
    """One KPI by a category: sorted horizontal bars, best first."""
    _draw_hbars(fig, rect, answer, ctx, sort=True)


def _draw_hbars(fig: Figure, rect: Rect, answer: Answer, ctx: Ctx, sort: bool) -> None:
    d = dimension_columns(answer)[0]
    m = metric_columns(answer)[0]
    col = answer.columns[m]
    order = sorted_rows(answer, m, col.better) if sort else list(range(len(answer.rows)))
    _, h = rect_inches(fig, rect)
    size = _row_font(ctx, h, len(order))
    names = _names(answer, d, order, ctx, 20)
    vals = [column(answer, m)[i] for i in order]
    left = max(labels.text_inches(n, size) for n in names) + _PAD
    right = _value_margin([fmt_value(v, col, ctx) for v in vals], size)
    key = caveat_key(answer, col, hollow="dashed:")
    ax = axes_in(fig, rect, left=left, right=right, top=0.22 if key else 0.05, bottom=0.05)
    hollow = hollow_rows(answer, col)
    _hbars(ax, names, vals, col, ctx, size, bar_colours(answer, col, order),
           [hollow[i] for i in order])
    if key:
        ax.text(1.0, 1.0, key, transform=ax.transAxes, ha="right", va="bottom",
                fontsize=ctx.pt(theme.SMALL), color=theme.MUTED)


def _xlabels(ax: Axes, names: list[str], width_in: float, size: float) -> None:
    """Category labels under columns: wrapped to two lines, thinned out when they cannot fit."""
    n = len(names)
    per_col = width_in / max(n, 1)
    cells = max(int(per_col * 72 / (size * 0.55)), 3)
    step = 1
    if cells < 4:  # e.g. 24 hours: label every k-th column
        step = -(-4 // cells) if cells else 4
        cells = 4 * step
    shown = [labels.wrap(nm, cells, 2) if i % step == 0 else "" for i, nm in enumerate(names)]
    ax.set_xticks(range(n), shown, fontsize=size)


def draw_columns(fig: Figure, rect: Rect, answer: Answer, ctx: Ctx) -> None:
    """One KPI by weekday/hour/stage/few time buckets: vertical bars in the rows' order."""
    d = dimension_columns(answer)[0]
    m = metric_columns(answer)[0]
    col = answer.columns[m]
    vals = column(answer, m)
    names = _names(answer, d, list(range(len(vals))), ctx, 40)
    n = len(vals)
    w, _ = rect_inches(fig, rect)
    size = ctx.pt(theme.LABEL)
    cells = int((w - 0.2) / max(n, 1) * 72 / (size * 0.55))
    if n <= 12 and any("…" in labels.wrap(x, cells, 2) for x in names):
        # Names too long for columns (stages in a narrow cell): bars, kept in natural order.
        _draw_hbars(fig, rect, answer, ctx, sort=False)
        return
    with_labels = n <= 12
    left = 0.1 if with_labels else 0.55
    ax = axes_in(fig, rect, left=left, right=0.1, bottom=0.45, top=0.28 if with_labels else 0.1)
    xs = [v or 0.0 for v in vals]
    bars = ax.bar(range(n), xs, width=0.66, color=bar_colours(answer, col, list(range(n))))
    _outline_hollow(bars, hollow_rows(answer, col))
    clean(ax, grid=None if with_labels else "y")
    key = caveat_key(answer, col, hollow="dashed:")
    if key:
        ax.text(1.0, 1.0, key, transform=ax.transAxes, ha="right", va="bottom",
                fontsize=ctx.pt(theme.SMALL), color=theme.MUTED)
    _xlabels(ax, names, w - left - 0.1, size)
    ax.set_xlim(-0.6, n - 0.4)
    if with_labels:
        ax.set_yticks([])
        top = max([*xs, 0.0]) or 1.0
        ax.set_ylim(min([*xs, 0.0]), top * 1.04)
        for x, (v, y) in enumerate(zip(vals, xs, strict=True)):
            ax.annotate(fmt_value(v, col, ctx), (x, max(y, 0.0)), xytext=(0, 3),
                        textcoords="offset points", ha="center", va="bottom",
                        fontsize=ctx.pt(theme.VALUE), color=theme.INK)
    else:
        value_axis(ax.yaxis, col, ctx)


def _outline_hollow(bars: Any, hollow: list[bool]) -> None:
    """A partial period's or a provisional value's column: a dashed outline, not a fill."""
    for bar, h in zip(bars, hollow, strict=True):
        if h:
            bar.set_facecolor("white")
            bar.set_edgecolor(theme.ACCENT)
            bar.set_linestyle((0, (3, 2)))
            bar.set_linewidth(1.2)


def draw_compare(fig: Figure, rect: Rect, answer: Answer, ctx: Ctx) -> None:
    """Current next to previous per group, with the growth written beside each pair."""
    d = dimension_columns(answer)[0]
    m = metric_columns(answer)[0]
    col = answer.columns[m]
    cur = column(answer, m)
    prev = column(answer, companion(answer, col, "previous"))
    g = companion(answer, col, "growth")
    growth = column(answer, g) if g is not None else [
        (c - p) / p if c is not None and p not in (None, 0) else None
        for c, p in zip(cur, prev, strict=True)
    ]
    horizontal = grouping_kind(answer.columns[d].name) == "category"
    order = sorted_rows(answer, m, col.better) if horizontal else list(range(len(cur)))
    names = _names(answer, d, order, ctx, 18 if horizontal else 40)
    cur = [cur[i] for i in order]
    prev = [prev[i] for i in order]
    growth = [growth[i] for i in order]
    now_name, then_name = side_names(answer)
    legend(fig, rect, [(now_name, theme.ACCENT), (then_name, theme.PREVIOUS)], ctx)
    trios = list(zip(growth, cur, prev, strict=True))
    changes = [format_change(gv, c, p, col.format) for gv, c, p in trios]
    signs = [change_sign(gv, c, p, col.format) for gv, c, p in trios]
    inner = below_legend(fig, rect)
    top = max([v or 0.0 for v in cur + prev] + [0.0]) or 1.0
    n = len(cur)
    size = ctx.pt(theme.LABEL)
    if horizontal:
        _, h = rect_inches(fig, inner)
        size = _row_font(ctx, h, n)
        left = max(labels.text_inches(x, size) for x in names) + _PAD
        gtexts = changes
        right = _value_margin([fmt_value(v, col, ctx) for v in cur], size) + \
            _value_margin(gtexts, size)
        ax = axes_in(fig, inner, left=left, right=right, top=0.02, bottom=0.05)
        ys = range(n)
        ax.barh([y - 0.19 for y in ys], [v or 0.0 for v in cur], height=0.36, color=theme.ACCENT)
        ax.barh([y + 0.19 for y in ys], [v or 0.0 for v in prev], height=0.36,
                color=theme.PREVIOUS)
        ax.set_ylim(n - 0.5, -0.5)
        ax.set_xlim(0, top * 1.02)
        ax.set_yticks(list(ys), names, fontsize=size)
        ax.set_xticks([])
        clean(ax)
        for y, v in zip(ys, cur, strict=True):
            ax.annotate(fmt_value(v, col, ctx), ((v or 0.0), y - 0.19), xytext=(4, 0),
                        textcoords="offset points", va="center", fontsize=size * 0.95)
        for y, gv, gt in zip(ys, signs, gtexts, strict=True):
            ax.annotate(gt, (1.0, y), xycoords=("axes fraction", "data"),
                        xytext=(right * 72 - 4, 0), textcoords="offset points", ha="right",
                        va="center", fontsize=size * 0.95, fontweight="bold",
                        color=theme.change_colour(gv, col.better))
        return
    w, _ = rect_inches(fig, inner)
    ax = axes_in(fig, inner, left=0.1, right=0.1, bottom=0.45, top=0.3)
    xs = range(n)
    bars = ax.bar([x - 0.2 for x in xs], [v or 0.0 for v in cur], width=0.38, color=theme.ACCENT)
    _outline_hollow(bars, [hollow_rows(answer, col)[i] for i in order])
    ax.bar([x + 0.2 for x in xs], [v or 0.0 for v in prev], width=0.38, color=theme.PREVIOUS)
    key = caveat_key(answer, col, hollow="dashed:")
    if key:
        fig.text(rect[0] + rect[2], rect[1] + rect[3], key, ha="right", va="top",
                 fontsize=ctx.pt(theme.SMALL), color=theme.MUTED)
    clean(ax)
    ax.set_yticks([])
    ax.set_ylim(0, top * 1.05)
    _xlabels(ax, names, w - 0.2, size)
    show_values = n <= 8
    small = ctx.pt(theme.SMALL)
    for x, v, gv in zip(xs, cur, signs, strict=True):
        hi = max(v or 0.0, prev[x] or 0.0)
        ax.annotate(changes[x], (x, hi), xytext=(0, 3), textcoords="offset points",
                    ha="center", va="bottom", fontsize=small, fontweight="bold",
                    color=theme.change_colour(gv, col.better))
        if show_values:
            ax.annotate(fmt_value(v, col, ctx), (x, hi), xytext=(0, 5 + small * 1.25),
                        textcoords="offset points", ha="center", va="bottom", fontsize=small,
                        color=theme.INK)


def draw_grouped(fig: Figure, rect: Rect, answer: Answer, ctx: Ctx) -> None:
    """Two groupings: bars grouped by the first, one colour per value of the second."""
    d1, d2 = dimension_columns(answer)[:2]
    m = metric_columns(answer)[0]
    col = answer.columns[m]
    vals = column(answer, m)
    firsts: list[object] = []
    totals: dict[object, float] = {}
    seconds: dict[object, float] = {}
    cell: dict[tuple[object, object], float | None] = {}
    for r, v in zip(answer.rows, vals, strict=True):
        if r[d1] not in totals:
            firsts.append(r[d1])
            totals[r[d1]] = 0.0
        totals[r[d1]] += v or 0.0
        seconds[r[d2]] = seconds.get(r[d2], 0.0) + (v or 0.0)
        cell[(r[d1], r[d2])] = v
    if grouping_kind(answer.columns[d1].name) == "category":
        firsts.sort(key=lambda k: totals[k], reverse=col.better != "lower")
    series = sorted(seconds, key=lambda k: seconds[k], reverse=True)
    colours = [theme.SERIES[i % len(theme.SERIES)] for i in range(len(series))]
    legend(fig, rect, [(dim_label(answer, d2, s, ctx, 16), c)
                        for s, c in zip(series, colours, strict=True)], ctx)
    inner = below_legend(fig, rect)
    w, _ = rect_inches(fig, inner)
    ax = axes_in(fig, inner, left=0.6, right=0.1, bottom=0.45, top=0.05)
    k = len(series)
    width = 0.8 / k
    for si, (s, c) in enumerate(zip(series, colours, strict=True)):
        xs = [i - 0.4 + width * (si + 0.5) for i in range(len(firsts))]
        ax.bar(xs, [cell.get((f, s)) or 0.0 for f in firsts], width=width * 0.92, color=c)
    clean(ax, grid="y")
    value_axis(ax.yaxis, col, ctx)
    _xlabels(ax, [dim_label(answer, d1, f, ctx, 40) for f in firsts], w - 0.7,
             ctx.pt(theme.LABEL))


def draw_panels(fig: Figure, rect: Rect, answer: Answer, ctx: Ctx) -> None:
    """Several KPIs by one grouping: one bar panel per KPI, the same row order in each."""
    d = dimension_columns(answer)[0]
    ms = metric_columns(answer)
    first = answer.columns[ms[0]]
    order = sorted_rows(answer, ms[0], first.better)
    fw, fh = fig.get_size_inches()
    _, h = rect_inches(fig, rect)
    head_pt = ctx.pt(theme.LABEL)
    size = _row_font(ctx, h - 0.5, len(order))
    names = _names(answer, d, order, ctx, 16)
    name_w = max(labels.text_inches(n, size) for n in names) + _PAD
    x0, y0, w, hh = rect
    pw = (w - name_w / fw) / len(ms)
    # KPI names head their panels, wrapped to two lines when a panel is narrow.
    room = max(int((pw * fw - 0.1) * 72 / (head_pt * 0.6)), 6)
    heads = [labels.wrap(labels.sentence(answer.columns[j].name), room, 2) for j in ms]
    head = 0.52 if any("\n" in x for x in heads) else 0.3
    # One axes for all panels, measured in inches across: each panel scales its own bars into
    # its slot (an axes per panel costs ~12 ms each).
    said = (caveat_key(answer, answer.columns[j], hollow="dashed:") for j in ms)
    keys = " · ".join(dict.fromkeys(x for x in said if x))
    ax = axes_in(fig, rect, left=name_w, top=head, bottom=0.24 if keys else 0.05)
    if keys:
        ax.text(1.0, -0.02, keys, transform=ax.transAxes, ha="right", va="top",
                fontsize=ctx.pt(theme.SMALL), color=theme.MUTED)
    slot = pw * fw
    ax.set_xlim(0, slot * len(ms))
    n = len(order)
    ys = list(range(n))
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_yticks(ys, names, fontsize=size)
    ax.set_xticks([])
    clean(ax)
    for k, j in enumerate(ms):
        col = answer.columns[j]
        vals = [column(answer, j)[i] for i in order]
        texts = [fmt_value(v, col, ctx) for v in vals]
        gap = 0.0 if k == 0 else 0.08
        room_in = slot - gap - _value_margin(texts, size)
        xs = [max(v or 0.0, 0.0) for v in vals]
        top = max([*xs, 0.0]) or 1.0
        widths = [x / top * room_in for x in xs]
        left = k * slot + gap
        bars = ax.barh(ys, widths, left=left, height=0.62, color=bar_colours(answer, col, order))
        _outline_hollow(bars, [hollow_rows(answer, col)[i] for i in order])
        for y, wd, t in zip(ys, widths, texts, strict=True):
            ax.annotate(t, (left + wd, y), xytext=(4, 0), textcoords="offset points",
                        va="center", ha="left", fontsize=size * 0.95, color=theme.INK)
        px = x0 + name_w / fw + k * pw
        fig.text(px + (0.08 if k else 0.02) / fw, y0 + hh - 0.06 / fh, heads[k],
                 fontsize=head_pt, fontweight="bold", color=theme.MUTED, va="top", ha="left",
                 linespacing=1.1)
