"""Lines over time: one KPI (the previous period dashed when compared), or one line per value."""

from __future__ import annotations

import math

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from charts import measure, theme
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
    value_axis,
)
from charts.choose import grouping_kind, in_natural_order
from metrics.answer import Answer

_MAX_TICKS = 6


def _time_ticks(ax: Axes, names: list[str], width_in: float, size: float) -> None:
    """As many evenly spaced bucket labels as fit by measured width, the last bucket always
    among them; no two labels closer than a gap (never "Oct 2026Dec 2026")."""
    n = len(names)
    widest = max(measure.width(x, size) for x in names) + 0.15
    pitch = width_in / max(n, 1)  # inches between neighbouring buckets
    step = max(1, math.ceil(widest / pitch))
    step = max(step, math.ceil(n / _MAX_TICKS))
    # Counted back from the last bucket, so the latest one is always labelled.
    idx = sorted(range(n - 1, -1, -step))
    if idx and idx[0] == 0 and len(idx) > 1 and measure.width(names[0], size) / 2 > pitch / 2:
        idx = idx[1:]  # centred on the first bucket it would reach into the value axis' labels
    ax.set_xticks(idx, [names[i] for i in idx], fontsize=size)


def _padded_limits(ax: Axes, series: list[list[float | None]]) -> None:
    vals = [v for s in series for v in s if v is not None]
    if not vals:
        return
    lo, hi = min(vals + [0.0]), max(vals)
    span = (hi - lo) or abs(hi) or 1.0
    ax.set_ylim(lo if lo < 0 else 0.0, hi + span * 0.15)


def draw_line(fig: Figure, rect: Rect, answer: Answer, ctx: Ctx) -> None:
    """One KPI over time; markers when points are few; the last value written at its point."""
    d = dimension_columns(answer)[0]
    m = metric_columns(answer)[0]
    col = answer.columns[m]
    cur = column(answer, m)
    p = companion(answer, col, "previous")
    prev = column(answer, p) if p is not None else None
    names = [dim_label(answer, d, r[d], ctx) for r in answer.rows]
    inner = rect
    if prev is not None:
        now_name, then_name = side_names(answer)
        legend(fig, rect, [(now_name, theme.ACCENT), (then_name, theme.PREVIOUS)], ctx)
        inner = below_legend(fig, rect)
    w, _ = rect_inches(fig, inner)
    left = 0.62
    ax = axes_in(fig, inner, left=left, right=0.55, bottom=0.35, top=0.2)
    xs = list(range(len(cur)))
    marker = "o" if len(cur) <= 31 else None
    if prev is not None:
        ax.plot(xs, [v if v is not None else float("nan") for v in prev], color=theme.PREVIOUS,
                linewidth=1.6, linestyle=(0, (4, 3)))
    ys = [v if v is not None else float("nan") for v in cur]
    hollow = hollow_rows(answer, col)
    _honest_line(ax, xs, ys, hollow, bar_colours(answer, col, list(range(len(ys)))), marker)
    ax.fill_between(xs, ys, color=theme.ACCENT, alpha=0.07, linewidth=0)
    key = caveat_key(answer, col)
    if key:
        ax.text(1.0, 1.0, key, transform=ax.transAxes, ha="right", va="bottom",
                fontsize=ctx.pt(theme.SMALL), color=theme.MUTED)
    _padded_limits(ax, [cur] + ([prev] if prev else []))
    ax.set_xlim(-0.5, len(cur) - 0.5)
    clean(ax, grid="y")
    value_axis(ax.yaxis, col, ctx)
    _time_ticks(ax, names, w - left - 0.55, ctx.pt(theme.LABEL))
    last = max((i for i, v in enumerate(cur) if v is not None), default=None)
    if last is not None:
        ax.annotate(fmt_value(cur[last], col, ctx), (last, cur[last] or 0.0), xytext=(6, 0),
                    textcoords="offset points", va="center", ha="left",
                    fontsize=ctx.pt(theme.VALUE), fontweight="bold",
                    color=theme.MUTED if hollow[last] else theme.ACCENT, annotation_clip=False)


def _honest_line(ax: Axes, xs: list[int], ys: list[float], hollow: list[bool],
                 colours: list[str], marker: str | None, line: str = theme.ACCENT) -> None:
    """The line solid between whole, settled points and dashed into a hollow one (a partial
    period, a provisional value); pale markers where the value stands on a small sample."""
    solid = [float("nan") if h else y for y, h in zip(ys, hollow, strict=True)]
    ax.plot(xs, solid, color=line, linewidth=1.8)
    run: list[int] = []
    for k in range(len(xs) - 1):  # segment k → k+1 is dashed when it touches a hollow point
        if hollow[k] or hollow[k + 1]:
            run = run + [k, k + 1] if run and run[-1] == k else [k, k + 1]
            if k + 1 == len(xs) - 1 or not (hollow[k + 1] or hollow[k + 2]):
                ax.plot([xs[i] for i in run], [ys[i] for i in run], color=line,
                        linewidth=1.6, linestyle=(0, (3, 2.5)))
                run = []
    whole = [i for i, h in enumerate(hollow) if not h]
    if marker:
        for colour in dict.fromkeys(colours[i] for i in whole):
            pts = [i for i in whole if colours[i] == colour]
            ax.plot([xs[i] for i in pts], [ys[i] for i in pts], linestyle="none", marker="o",
                    markersize=3.0, color=colour)
    opened = [i for i, h in enumerate(hollow) if h]
    if opened:
        ax.plot([xs[i] for i in opened], [ys[i] for i in opened], linestyle="none",
                marker="o", markersize=4.6, markerfacecolor="white",
                markeredgecolor=line, markeredgewidth=1.4, zorder=3)
        pale = [i for i in opened if colours[i] != line]
        if pale:  # hollow and on a small sample: a pale ring
            ax.plot([xs[i] for i in pale], [ys[i] for i in pale], linestyle="none",
                    marker="o", markersize=4.6, markerfacecolor="white",
                    markeredgecolor=colours[pale[0]], markeredgewidth=1.4, zorder=4)


def draw_lines(fig: Figure, rect: Rect, answer: Answer, ctx: Ctx) -> None:
    """Time × a second grouping: one coloured line per value of the second grouping."""
    d1, d2 = dimension_columns(answer)[:2]
    m = metric_columns(answer)[0]
    col = answer.columns[m]
    buckets: list[object] = []
    totals: dict[object, float] = {}
    cell: dict[tuple[object, object], float | None] = {}
    for r, v in zip(answer.rows, column(answer, m), strict=True):
        if r[d1] not in buckets:
            buckets.append(r[d1])
        totals[r[d2]] = totals.get(r[d2], 0.0) + (v or 0.0)
        cell[(r[d1], r[d2])] = v
    buckets.sort(key=lambda b: str(b))
    series = sorted(totals, key=lambda k: totals[k], reverse=True)
    if grouping_kind(answer.columns[d2].name) == "ordered":  # a weekday legend Mon … Sun
        series = in_natural_order(answer.columns[d2].name, series)
    colours = [theme.SERIES[i % len(theme.SERIES)] for i in range(len(series))]
    legend(fig, rect, [(dim_label(answer, d2, s, ctx), c)
                        for s, c in zip(series, colours, strict=True)], ctx)
    inner = below_legend(fig, rect)
    w, _ = rect_inches(fig, inner)
    ax = axes_in(fig, inner, left=0.62, right=0.2, bottom=0.35, top=0.2)
    xs = list(range(len(buckets)))
    all_vals: list[list[float | None]] = []
    cut = {r[d1] for i, r in enumerate(answer.rows) if answer.partial_row(i) is not None}
    hollow = [b in cut for b in buckets]
    for s, c in zip(series, colours, strict=True):
        vals = [cell.get((b, s)) for b in buckets]
        all_vals.append(vals)
        ys = [v if v is not None else float("nan") for v in vals]
        _honest_line(ax, xs, ys, hollow, [c] * len(xs), "o" if len(xs) <= 31 else None, c)
    key = caveat_key(answer, col)
    if key:
        ax.text(1.0, 1.0, key, transform=ax.transAxes, ha="right", va="bottom",
                fontsize=ctx.pt(theme.SMALL), color=theme.MUTED)
    _padded_limits(ax, all_vals)
    clean(ax, grid="y")
    value_axis(ax.yaxis, col, ctx)
    names = [dim_label(answer, d1, b, ctx) for b in buckets]
    _time_ticks(ax, names, w - 0.82, ctx.pt(theme.LABEL))

