"""Bar charts: sorted bars, columns in natural order, current vs previous, grouped, KPI panels.

Bars have a maximum thickness and rows a maximum pitch, so one bar is drawn as a bar, not a
block. Names are laid out by charts.axis from measured widths; columns whose labels cannot be
laid out turn into horizontal bars in the same order. More rows than fit at the smallest label
size become the top rows plus one "N others" bar (counts and sums) or a note (rates, averages).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

import i18n
from charts import axis, labels, measure, theme
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
from charts.choose import grouping_kind, in_natural_order, is_additive, plural_of
from i18n import Language
from metrics.answer import Answer, Column
from metrics.format import change_sign, format_change

LABEL_PAD = 0.08  # inches between a label and its bar
MAX_BAR_IN = 0.3  # the thickest a bar gets
MAX_PITCH_IN = 0.5  # rows never further apart than this: few bars stay bars, centred
MAX_COLUMN_IN = 0.7  # the widest a column gets
_ROW_FILL = 0.62  # a bar's share of its row's pitch
NAME_SHARE = 0.45  # names beside bars take at most this share of the width
NOTE_IN = 0.22  # room for a "top 12 of 40 shown" line


def row_font(ctx: Ctx, height_in: float, n: int) -> float:
    """Labels shrink when many rows share little height, never below axis.MIN_LABEL_PT."""
    per_row_pt = height_in * 72 / max(n, 1)
    return min(ctx.pt(theme.LABEL), max(axis.MIN_LABEL_PT, per_row_pt * 0.7))


def _value_pt(size: float) -> float:
    """Values beside bars: a touch smaller than the names, never under the minimum."""
    return max(size * 0.95, axis.MIN_LABEL_PT)


def capacity(height_in: float) -> int:
    """How many rows fit in ``height_in`` at the smallest label size."""
    return max(int(height_in * 72 * 0.7 / axis.MIN_LABEL_PT), 1)


def rows_frame(ax: Axes, n: int, height_in: float) -> float:
    """Y limits for ``n`` rows top to bottom (centred when few); returns a bar's thickness."""
    slots = max(float(n), height_in / MAX_PITCH_IN)
    extra = (slots - n) / 2
    ax.set_ylim(n - 0.5 + extra, -0.5 - extra)
    pitch = height_in / slots
    return min(_ROW_FILL, MAX_BAR_IN / pitch)


@dataclass(frozen=True)
class Rows:
    names: list[str]
    vals: list[float | None]
    colours: list[str]
    note: str | None  # said under the bars when rows were left out
    hollow: list[bool] | None = None  # partial or provisional rows, drawn dashed
    others: bool = False  # the last row sums the rows left out


def limit_rows(names: list[str], vals: list[float | None], cap: int, col: Column,
               nouns: str, colours: list[str] | None = None,
               hollow: list[bool] | None = None, lang: Language = Language.EN) -> Rows:
    """At most ``cap`` rows: the first ``cap - 1`` and one bar for the others when the KPI adds
    up, else the first ``cap`` and a note saying how many are not shown. ``colours`` (pale for
    small samples) and ``hollow`` (partial or provisional) follow the rows they mark."""
    n = len(names)
    colours = colours or [theme.ACCENT] * n
    hollow = hollow or [False] * n
    if n <= cap:
        return Rows(names, vals, colours, None, hollow)
    if is_additive(col.metric or col.name):
        keep = cap - 1
        rest = [v or 0.0 for v in vals[keep:]]
        said = {"keep": keep, "n": n, "nouns": nouns, "rest": n - keep}
        return Rows(names[:keep] + [i18n.t(lang, "chart.bars.others", **said)],
                    vals[:keep] + [sum(rest)], colours[:keep] + [theme.SERIES[-1]],
                    i18n.t(lang, "chart.bars.top_summed", **said), hollow[:keep] + [False],
                    others=True)
    return Rows(names[:cap], vals[:cap], colours[:cap],
                i18n.t(lang, "chart.bars.top", cap=cap, n=n, nouns=nouns), hollow[:cap])


def note_under(fig: Figure, rect: Rect, text: str, ctx: Ctx) -> None:
    fw, fh = fig.get_size_inches()
    fig.text(rect[0] + 0.02 / fw, rect[1] + 0.02 / fh, text, fontsize=ctx.pt(theme.SMALL),
             color=theme.MUTED, va="bottom", ha="left")


def _hbars(ax: Axes, rows: Rows, col: Column, ctx: Ctx, size: float, height_in: float) -> None:
    """Horizontal bars top to bottom, value at each bar's end, no value axis (labels say it)."""
    n = len(rows.vals)
    ys = list(range(n))
    xs = [v or 0.0 for v in rows.vals]
    # An "N others" row is a sum of many: written, not drawn, so it does not dwarf the bars.
    others = rows.others
    drawn = xs[:-1] + [0.0] if others else xs
    thick = rows_frame(ax, n, height_in)
    bars = ax.barh(ys, drawn, height=thick, color=rows.colours)
    _outline_hollow(bars, rows.hollow or [False] * n)
    top = max([*drawn, 0.0]) or 1.0
    low = min([*drawn, 0.0])
    ax.set_xlim(low, top * 1.02)
    ax.set_yticks(ys, rows.names, fontsize=size, linespacing=1.0)
    ax.set_xticks([])
    clean(ax)
    vsize = _value_pt(size)
    for y, v, x in zip(ys, rows.vals, drawn, strict=True):
        ax.annotate(fmt_value(v, col, ctx), (x if x >= 0 else 0, y), xytext=(4, 0),
                    textcoords="offset points", va="center", ha="left", fontsize=vsize,
                    color=theme.INK)
    if others:
        ax.annotate(i18n.t(ctx.lang, "chart.bars.in_all"), (0, n - 1), xytext=(10 + measure.width(
            fmt_value(rows.vals[-1], col, ctx), vsize) * 72, 0), textcoords="offset points",
            va="center", ha="left", fontsize=vsize, color=theme.MUTED)


def _names(answer: Answer, j: int, order: list[int], ctx: Ctx) -> list[str]:
    return [dim_label(answer, j, answer.rows[i][j], ctx) for i in order]


def _value_margin(vals: list[str], size: float) -> float:
    return max([measure.width(v, size) for v in vals] + [0.3]) + 0.12


def _noun(answer: Answer, j: int, lang: Language) -> str:
    return plural_of(answer.columns[j], lang)


def draw_bars(fig: Figure, rect: Rect, answer: Answer, ctx: Ctx) -> None:
    """One KPI by a category: sorted horizontal bars, best first."""
    _draw_hbars(fig, rect, answer, ctx, sort=True)


def _draw_hbars(fig: Figure, rect: Rect, answer: Answer, ctx: Ctx, sort: bool) -> None:
    d = dimension_columns(answer)[0]
    m = metric_columns(answer)[0]
    col = answer.columns[m]
    order = sorted_rows(answer, m, col.better) if sort else list(range(len(answer.rows)))
    hollow = hollow_rows(answer, col)
    hbar_chart(fig, rect, answer, ctx, order, d, bar_colours(answer, col, order),
               [hollow[i] for i in order])


def hbar_chart(fig: Figure, rect: Rect, answer: Answer, ctx: Ctx, order: list[int], d: int,
               colours: list[str], hollow: list[bool]) -> int:
    """Horizontal bars of the answer's first KPI for the rows in ``order``, named by grouping
    ``d``, each in its colour: names measured, the rows that fit, a caveat key, a note.
    Returns how many of ``order`` are drawn as bars of their own."""
    m = metric_columns(answer)[0]
    col = answer.columns[m]
    w, h = rect_inches(fig, rect)
    values = column(answer, m)  # once: per row it was a pass over every row (6,818 reps: 9 s)
    vals = [values[i] for i in order]
    key = caveat_key(answer, col, hollow="dashed")
    key_in = 0.17 if key else 0.0
    rows = limit_rows(_names(answer, d, order, ctx), vals, capacity(h - 0.1 - key_in), col,
                      _noun(answer, d, ctx.lang), colours, hollow, ctx.lang)
    plot_h = h - 0.1 - key_in - (NOTE_IN if rows.note else 0.0)
    size = row_font(ctx, plot_h, len(rows.names))
    names = axis.beside_bars(rows.names, w * NAME_SHARE, size, plot_h / len(rows.names))
    rows = Rows(names, rows.vals, rows.colours, rows.note, rows.hollow, rows.others)
    left = max(measure.width(x, size) for x in names) + LABEL_PAD
    right = _value_margin([fmt_value(v, col, ctx) for v in rows.vals], size)
    bottom = 0.05 + (NOTE_IN if rows.note else 0.0)
    ax = axes_in(fig, rect, left=left, right=right, top=0.05 + key_in, bottom=bottom)
    _hbars(ax, rows, col, ctx, size, plot_h)
    if key:
        ax.text(1.0, 1.0, key, transform=ax.transAxes, ha="right", va="bottom",
                fontsize=ctx.pt(theme.SMALL), color=theme.MUTED)
    if rows.note:
        note_under(fig, rect, rows.note, ctx)
    return len(rows.names) - rows.others


def _countable(answer: Answer, d: int) -> bool:
    """Values a reader can count on from their neighbours (hours, days): every k-th labelled."""
    return answer.columns[d].name in ("hour", "day", "week", "day of month", "month of year")


def draw_columns(fig: Figure, rect: Rect, answer: Answer, ctx: Ctx) -> None:
    """One KPI by weekday/hour/stage/few time buckets: vertical bars in the rows' order."""
    d = dimension_columns(answer)[0]
    m = metric_columns(answer)[0]
    col = answer.columns[m]
    vals = column(answer, m)
    names = _names(answer, d, list(range(len(vals))), ctx)
    n = len(vals)
    w, h = rect_inches(fig, rect)
    size = ctx.pt(theme.LABEL)
    with_labels = n <= 12
    left = 0.1 if with_labels else 0.55
    slot = (w - left - 0.1) / max(n, 1)
    room = min(0.9, h * 0.3)
    xl = axis.under_columns(names, slot, size, room=room, countable=_countable(answer, d))
    if xl is None:
        # Names too long for columns (stages in a narrow cell): bars, kept in natural order.
        _draw_hbars(fig, rect, answer, ctx, sort=False)
        return
    key = caveat_key(answer, col, hollow="dashed")
    key_in = measure.height(1.3, ctx.pt(theme.SMALL)) if key else 0.0
    ax = axes_in(fig, rect, left=left, right=0.1, bottom=xl.height + 0.12,
                 top=(0.28 if with_labels else 0.2) + key_in)
    xs = [v or 0.0 for v in vals]
    bars = ax.bar(range(n), xs, width=min(0.66, MAX_COLUMN_IN / slot),
                  color=bar_colours(answer, col, list(range(n))))
    _outline_hollow(bars, hollow_rows(answer, col))
    clean(ax, grid=None if with_labels else "y")
    if key:  # above the values written over the columns
        fig.text(rect[0] + rect[2], rect[1] + rect[3], key, ha="right", va="top",
                 fontsize=ctx.pt(theme.SMALL), color=theme.MUTED)
    _set_xlabels(ax, xl, size)
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
    """A partial period's or a provisional value's bar: a dashed outline, not a fill."""
    for bar, h in zip(bars, hollow, strict=True):
        if h:
            bar.set_facecolor("white")
            bar.set_edgecolor(theme.ACCENT)
            bar.set_linestyle((0, (3, 2)))
            bar.set_linewidth(1.2)


def _set_xlabels(ax: Axes, xl: axis.ColumnLabels, size: float) -> None:
    n = len(xl.texts)
    if xl.rotation:
        ax.set_xticks(range(n), xl.texts, fontsize=max(size * 0.88, axis.MIN_LABEL_PT),
                      rotation=xl.rotation, ha="right", rotation_mode="anchor")
    else:
        ax.set_xticks(range(n), xl.texts, fontsize=size, linespacing=1.1)


def _compare_series(answer: Answer) -> tuple[int, Column, list[float | None],
                                             list[float | None], list[float | None]]:
    m = metric_columns(answer)[0]
    col = answer.columns[m]
    cur = column(answer, m)
    prev = column(answer, companion(answer, col, "previous"))
    g = companion(answer, col, "growth")
    growth = column(answer, g) if g is not None else [
        (c - p) / p if c is not None and p not in (None, 0) else None
        for c, p in zip(cur, prev, strict=True)
    ]
    return m, col, cur, prev, growth


@dataclass(frozen=True)
class Pairs:
    """A comparison's rows in drawing order: the change as read (points for rates) and its
    signed size for the colour, which current values are partial or provisional, and which
    stand on a small sample (drawn pale, their change grey: too few to compare)."""
    names: list[str]
    cur: list[float | None]
    prev: list[float | None]
    changes: list[str]
    signs: list[float | None]
    hollow: list[bool]
    small: list[bool]

    def head(self, k: int) -> Pairs:
        return Pairs(self.names[:k], self.cur[:k], self.prev[:k], self.changes[:k],
                     self.signs[:k], self.hollow[:k], self.small[:k])

    @property
    def colours(self) -> list[str]:
        """The current value's colour, row by row."""
        return [theme.FADED if s else theme.ACCENT for s in self.small]

    def change_colour(self, k: int, better: str | None) -> str:
        return theme.MUTED if self.small[k] else theme.change_colour(self.signs[k], better)


def compare_pairs(answer: Answer, ctx: Ctx) -> tuple[Column, Pairs]:
    """The compared KPI and its pairs, categories best first, ordered groupings as they come."""
    d = dimension_columns(answer)[0]
    m, col, cur, prev, growth = _compare_series(answer)
    horizontal = grouping_kind(answer.columns[d].name) == "category"
    order = sorted_rows(answer, m, col.better) if horizontal else list(range(len(cur)))
    trios = [(growth[i], cur[i], prev[i]) for i in order]
    hollow = hollow_rows(answer, col)
    return col, Pairs(_names(answer, d, order, ctx), [cur[i] for i in order],
                      [prev[i] for i in order],
                      [format_change(*t, col.format, ctx.lang) for t in trios],
                      [change_sign(*t, col.format) for t in trios], [hollow[i] for i in order],
                      [answer.small(col.metric, i) for i in order])


def draw_compare(fig: Figure, rect: Rect, answer: Answer, ctx: Ctx) -> None:
    """Current next to previous per group, with the change written beside each pair."""
    d = dimension_columns(answer)[0]
    horizontal = grouping_kind(answer.columns[d].name) == "category"
    col, pairs = compare_pairs(answer, ctx)
    now_name, then_name = side_names(answer)
    legend(fig, rect, [(now_name, theme.ACCENT), (then_name, theme.PREVIOUS)], ctx)
    key = caveat_key(answer, col, hollow="dashed")
    if key:
        fig.text(rect[0] + rect[2], rect[1] + rect[3], key, ha="right", va="top",
                 fontsize=ctx.pt(theme.SMALL), color=theme.MUTED)
    inner = below_legend(fig, rect)
    if not horizontal:
        w, h = rect_inches(fig, inner)
        xl = axis.under_columns(pairs.names, (w - 0.2) / max(len(pairs.names), 1),
                                ctx.pt(theme.LABEL), room=min(0.9, h * 0.3),
                                countable=_countable(answer, d))
        if xl is not None:
            _compare_columns(fig, inner, col, pairs, xl, ctx)
            return
    _compare_bars(fig, inner, col, pairs, ctx)


def _compare_bars(fig: Figure, inner: Rect, col: Column, pairs: Pairs, ctx: Ctx) -> None:
    w, h = rect_inches(fig, inner)
    cap = capacity(h - 0.1)
    note = None
    if len(pairs.names) > cap:
        note = i18n.t(ctx.lang, "chart.bars.top_bare", cap=cap, n=len(pairs.names))
        pairs = pairs.head(cap)
    cur, prev = pairs.cur, pairs.prev
    n = len(pairs.names)
    plot_h = h - 0.07 - (NOTE_IN if note else 0.0)
    size = row_font(ctx, plot_h, n)
    names = axis.beside_bars(pairs.names, w * NAME_SHARE, size, plot_h / n)
    left = max(measure.width(x, size) for x in names) + LABEL_PAD
    gtexts = pairs.changes
    right = _value_margin([fmt_value(v, col, ctx) for v in cur], size) + \
        max(measure.width(g, size * 0.95, bold=True) for g in gtexts) + 0.15
    ax = axes_in(fig, inner, left=left, right=right, top=0.02,
                 bottom=0.05 + (NOTE_IN if note else 0.0))
    ys = range(n)
    thick = rows_frame(ax, n, plot_h)
    half = thick / 2
    top = max([v or 0.0 for v in cur + prev] + [0.0]) or 1.0
    low = min([v or 0.0 for v in cur + prev] + [0.0])
    bars = ax.barh([y - half / 2 - 0.01 for y in ys], [v or 0.0 for v in cur], height=half,
                   color=pairs.colours)
    _outline_hollow(bars, pairs.hollow)
    ax.barh([y + half / 2 + 0.01 for y in ys], [v or 0.0 for v in prev], height=half,
            color=theme.PREVIOUS)
    ax.set_xlim(low, top * 1.02)
    ax.set_yticks(list(ys), names, fontsize=size, linespacing=1.0)
    ax.set_xticks([])
    clean(ax)
    # The value is taller than its half of the pair: written past the longer of the two bars,
    # never over the previous period's bar under it.
    for y, v, p in zip(ys, cur, prev, strict=True):
        ax.annotate(fmt_value(v, col, ctx), (max(v or 0.0, p or 0.0, 0.0), y - half / 2),
                    xytext=(4, 0), textcoords="offset points", va="center",
                    fontsize=_value_pt(size))
    for y, gt in zip(ys, gtexts, strict=True):
        ax.annotate(gt, (1.0, y), xycoords=("axes fraction", "data"),
                    xytext=(right * 72 - 4, 0), textcoords="offset points", ha="right",
                    va="center", fontsize=_value_pt(size), fontweight="bold",
                    color=pairs.change_colour(y, col.better))
    if note:
        note_under(fig, inner, note, ctx)


def _compare_columns(fig: Figure, inner: Rect, col: Column, pairs: Pairs,
                     xl: axis.ColumnLabels, ctx: Ctx) -> None:
    cur, prev = pairs.cur, pairs.prev
    n = len(cur)
    w, _ = rect_inches(fig, inner)
    size = ctx.pt(theme.LABEL)
    small = ctx.pt(theme.SMALL)
    show_values = n <= 8
    top_in = 0.3 + (small * 1.3 / 72 if show_values else 0.0)
    ax = axes_in(fig, inner, left=0.1, right=0.1, bottom=xl.height + 0.12, top=top_in)
    xs = range(n)
    slot = (w - 0.2) / max(n, 1)
    bw = min(0.38, MAX_COLUMN_IN / 2 / slot)
    bars = ax.bar([x - bw / 2 - 0.01 for x in xs], [v or 0.0 for v in cur], width=bw,
                  color=pairs.colours)
    _outline_hollow(bars, pairs.hollow)
    ax.bar([x + bw / 2 + 0.01 for x in xs], [v or 0.0 for v in prev], width=bw,
           color=theme.PREVIOUS)
    clean(ax)
    ax.set_yticks([])
    top = max([v or 0.0 for v in cur + prev] + [0.0]) or 1.0
    low = min([v or 0.0 for v in cur + prev] + [0.0])
    ax.set_ylim(low, top * 1.05)
    ax.set_xlim(-0.6, n - 0.4)
    _set_xlabels(ax, xl, size)
    # Change labels need their width: with narrow slots only values are written.
    gtexts = pairs.changes
    show_growth = max(measure.width(g, small, bold=True) for g in gtexts) < slot * 0.95
    for x, v, gt in zip(xs, cur, gtexts, strict=True):
        hi = max(v or 0.0, prev[x] or 0.0, 0.0)
        if show_growth:
            ax.annotate(gt, (x, hi), xytext=(0, 3), textcoords="offset points",
                        ha="center", va="bottom", fontsize=small, fontweight="bold",
                        color=pairs.change_colour(x, col.better))
        text = fmt_value(v, col, ctx)
        if show_values and measure.width(text, small) < slot * 0.95:
            ax.annotate(text, (x, hi), xytext=(0, 5 + small * 1.25 * show_growth),
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
    elif grouping_kind(answer.columns[d1].name) == "ordered":
        firsts = in_natural_order(answer.columns[d1].name, firsts)
    series = list(seconds)
    if grouping_kind(answer.columns[d2].name) == "category":
        series.sort(key=lambda k: seconds[k], reverse=True)
    else:  # weekdays, months, stages: in their own order, whichever came first in the rows
        series = in_natural_order(answer.columns[d2].name, series)
    colours = [theme.SERIES[i % len(theme.SERIES)] for i in range(len(series))]
    legend(fig, rect, [(dim_label(answer, d2, s, ctx), c)
                        for s, c in zip(series, colours, strict=True)], ctx)
    inner = below_legend(fig, rect)
    w, h = rect_inches(fig, inner)
    names = [dim_label(answer, d1, f, ctx) for f in firsts]
    size = ctx.pt(theme.LABEL)
    slot = (w - 0.7) / max(len(firsts), 1)
    xl = axis.under_columns(names, slot, size, room=min(0.9, h * 0.3),
                            countable=_countable(answer, d1))
    if xl is None:  # names cut rather than the bars turned: groups side by side read better
        texts = tuple(measure.wrap(x, slot - 0.1, size, 2) for x in names)
        xl = axis.ColumnLabels(texts, 0, measure.height(2, size))
    ax = axes_in(fig, inner, left=0.6, right=0.1, bottom=xl.height + 0.12, top=0.05)
    k = len(series)
    width = min(0.8 / k, MAX_COLUMN_IN / slot / k)
    for si, (s, c) in enumerate(zip(series, colours, strict=True)):
        xs = [i - width * k / 2 + width * (si + 0.5) for i in range(len(firsts))]
        ax.bar(xs, [cell.get((f, s)) or 0.0 for f in firsts], width=width * 0.92, color=c)
    clean(ax, grid="y")
    value_axis(ax.yaxis, col, ctx)
    ax.set_xlim(-0.6, len(firsts) - 0.4)
    _set_xlabels(ax, xl, size)


def draw_panels(fig: Figure, rect: Rect, answer: Answer, ctx: Ctx) -> None:
    """Several KPIs by one grouping: one bar panel per KPI, the same row order in each."""
    d = dimension_columns(answer)[0]
    ms = metric_columns(answer)
    first = answer.columns[ms[0]]
    order = sorted_rows(answer, ms[0], first.better)
    fw, fh = fig.get_size_inches()
    w_in, h = rect_inches(fig, rect)
    head_pt = ctx.pt(theme.LABEL)
    x0, y0, w, hh = rect
    n = len(order)
    # KPI names head their panels, wrapped to two lines when a panel is narrow.
    names_full = _names(answer, d, order, ctx)
    share = NAME_SHARE if len(ms) <= 3 else 0.3  # four panels need their width
    name_room = min(w_in * share, max(measure.width(x, ctx.pt(theme.LABEL)) for x in names_full)
                    + LABEL_PAD)
    pw_in = (w_in - name_room) / len(ms)
    heads = [_head(answer.columns[j].spoken, pw_in - 0.12, head_pt) for j in ms]
    head = 0.12 + measure.height(max(x.count("\n") + 1 for x in heads), head_pt)
    said = (caveat_key(answer, answer.columns[j], hollow="dashed") for j in ms)
    keys = " · ".join(dict.fromkeys(x for x in said if x))
    plot_h = h - head - 0.05 - (0.19 if keys else 0.0)
    cap = capacity(plot_h - NOTE_IN)
    note = None
    if n > cap:  # the top rows by the first KPI; several KPIs do not add up into "others"
        nouns = plural_of(answer.columns[d], ctx.lang)
        note = i18n.t(ctx.lang, "chart.bars.top_by", cap=cap, n=n, nouns=nouns, metric=first.spoken)
        order, names_full, n = order[:cap], names_full[:cap], cap
        plot_h -= NOTE_IN
    size = row_font(ctx, plot_h, n)
    names = axis.beside_bars(names_full, name_room - LABEL_PAD, size, plot_h / n)
    name_w = max(measure.width(x, size) for x in names) + LABEL_PAD
    pw = (w - name_w / fw) / len(ms)
    # One axes for all panels, measured in inches across: each panel scales its own bars into
    # its slot (an axes per panel costs ~12 ms each).
    ax = axes_in(fig, rect, left=name_w, top=head,
                 bottom=0.05 + (NOTE_IN if note else 0.0) + (0.19 if keys else 0.0))
    if note:
        note_under(fig, rect, note, ctx)
    if keys:
        ax.text(1.0, -0.02, keys, transform=ax.transAxes, ha="right", va="top",
                fontsize=ctx.pt(theme.SMALL), color=theme.MUTED)
    slot = pw * fw
    ax.set_xlim(0, slot * len(ms))
    ys = list(range(n))
    thick = rows_frame(ax, n, plot_h)
    ax.set_yticks(ys, names, fontsize=size, linespacing=1.0)
    ax.set_xticks([])
    clean(ax)
    for k, j in enumerate(ms):
        _kpi_panel(ax, answer, j, order, left=k * slot, slot=slot, gap=0.0 if k == 0 else 0.08,
                   size=size, thick=thick, ctx=ctx)
        px = x0 + name_w / fw + k * pw
        fig.text(px + (0.08 if k else 0.02) / fw, y0 + hh - 0.06 / fh, heads[k],
                 fontsize=head_pt, fontweight="bold", color=theme.MUTED, va="top", ha="left",
                 linespacing=1.1)


def _kpi_panel(ax: Axes, answer: Answer, j: int, order: list[int], *, left: float, slot: float,
               gap: float, size: float, thick: float, ctx: Ctx) -> None:
    """One KPI's bars (column ``j``, rows in ``order``) in its slot of ``slot`` inches from
    ``left``, each with its value at its end."""
    col = answer.columns[j]
    values = column(answer, j)
    vals = [values[i] for i in order]
    texts = [fmt_value(v, col, ctx) for v in vals]
    room_in = slot - gap - _value_margin(texts, size)
    xs = [max(v or 0.0, 0.0) for v in vals]
    top = max([*xs, 0.0]) or 1.0
    widths = [x / top * room_in for x in xs]
    ys = list(range(len(order)))
    left += gap
    bars = ax.barh(ys, widths, left=left, height=thick, color=bar_colours(answer, col, order))
    hollow = hollow_rows(answer, col)
    _outline_hollow(bars, [hollow[i] for i in order])
    for y, wd, t in zip(ys, widths, texts, strict=True):
        ax.annotate(t, (left + wd, y), xytext=(4, 0), textcoords="offset points",
                    va="center", ha="left", fontsize=_value_pt(size), color=theme.INK)


def _head(name: str, room: float, size: float) -> str:
    """A panel's KPI name on at most two lines; its short form rather than a cut one."""
    full = measure.wrap(labels.sentence(name), room, size, 2, True)
    return measure.wrap(labels.short_name(name), room, size, 2, True) \
        if measure.is_cut(full) else full
