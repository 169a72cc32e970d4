"""Single numbers: KPI cards (▲/▼ growth coloured by the KPI's better direction) and gauges."""

from __future__ import annotations

import math

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Wedge

import i18n
from charts import labels, measure, theme
from charts.canvas import (
    Ctx,
    Rect,
    axes_in,
    companion,
    fmt_value,
    metric_columns,
    num,
    rect_inches,
)
from charts.targets import caption
from metrics.answer import Answer, Column
from metrics.format import change_sign, format_change, format_value

_MIN_CARD_W = 1.5  # inches; narrower cards go to a second row
_GAP = 0.12
_MIN_PT = 7.0  # the smallest type a caption is shrunk to (tests/layout_facts.py MIN_PT)


def _growth(answer: Answer, col: Column, j: int) -> tuple[float | None, float | None]:
    row = answer.rows[0]
    cur = num(row[j])
    p = companion(answer, col, "previous")
    prev = num(row[p]) if p is not None else None
    g = companion(answer, col, "growth")
    if g is not None:
        growth = num(row[g])
    elif cur is not None and prev not in (None, 0):
        growth = (cur - prev) / prev  # type: ignore[operator]
    else:
        growth = None
    return prev, growth


def _has_comparison(answer: Answer, col: Column) -> bool:
    return companion(answer, col, "previous") is not None or \
        companion(answer, col, "growth") is not None


def _provisional_text(answer: Answer, col: Column) -> str:
    """The line under a value that is not what it seems: "provisional: 59% open" when its
    records' outcomes are still open, "only 5 closed deals" on a small sample, "vs only 1
    closed deals before" when the compared side's is."""
    if answer.provisional(col.metric, 0):
        share = f"{(answer.open_share(col.metric, 0) or 0.0):.0%}"
        return i18n.t(answer.language, "chart.card.provisional", share=share)
    sample = answer.sample(col.metric)
    if sample is not None and answer.small(col.metric, 0):
        count = sample.counts[0]
        return i18n.t(
            answer.language, "chart.card.only", n=f"{count:,}", noun=sample.counted(count)
        )
    if sample is not None and answer.small_previous(col.metric, 0):
        # the change stands on the compared side's few records: said, and drawn grey
        count = sample.previous[0]
        return i18n.t(
            answer.language, "chart.card.only_before", n=f"{count:,}", noun=sample.counted(count)
        )
    return ""


def _card(ax: Axes, box: tuple[float, float, float, float], answer: Answer, j: int, ctx: Ctx,
          value_pt: float) -> None:
    """One card at ``box`` (x, y, w, h in inches of ``ax``, whose data units are inches)."""
    col = answer.columns[j]
    x0, y0, w_in, h_in = box
    # add_artist, not add_patch: limits are fixed, and the autoscale update costs ~7 ms a box.
    ax.add_artist(FancyBboxPatch((x0, y0), w_in, h_in, boxstyle="round,pad=0,rounding_size=0.07",
                                facecolor=ctx.card, edgecolor=theme.GRID, linewidth=0.8))
    pad_x = x0 + 0.14
    size = ctx.pt(theme.LABEL)
    small = max(ctx.pt(theme.SMALL) * 1.05, value_pt * 0.4)  # a lone card has room
    avail = w_in - 0.28
    name = labels.sentence(col.spoken)
    # A long KPI name gets smaller type before it gets cut.
    size = max(min(size, avail * 72 / max(labels.display_width(name) * 0.55, 1)),
               ctx.pt(theme.SMALL))
    cells = int(avail * 72 / (size * 0.55))
    top_pad, bottom_pad = 0.11, 0.11
    label_h = size * 1.3 / 72
    compared = _has_comparison(answer, col)
    provisional = _provisional_text(answer, col)
    delta_h = small * 1.4 / 72 * (compared + bool(provisional))
    ax.text(pad_x, y0 + h_in - top_pad, labels.cut(name, cells),
            fontsize=size, color=theme.MUTED, va="top", ha="left")
    # The value gets the height between the label and the delta line, never more.
    mid_h = max(h_in - top_pad - label_h - bottom_pad - delta_h, 0.1)
    big = min(value_pt, mid_h * 72 * 0.78)
    cur = answer.rows[0][j]
    text = format_value(cur, col.format, currency=ctx.currency, short=False, lang=ctx.lang)
    wide = measure.width(text, big, bold=True)
    if wide > avail / 0.85:  # the exact number, a little smaller, before a rounded one
        text = fmt_value(cur, col, ctx, short=True)
    if measure.width(text, big, bold=True) > avail:
        big = big * avail / measure.width(text, big, bold=True)
    ax.text(pad_x, y0 + bottom_pad + delta_h + mid_h / 2, text, fontsize=big, fontweight="bold",
            color=theme.INK, va="center_baseline", ha="left")
    if provisional:
        # A little smaller before a cut: "only 2 won deals with an amount" says what it counts.
        fine = max(small * min(1.0, avail / measure.width(provisional, small)), small * 0.8,
                   min(small, _MIN_PT))
        ax.text(pad_x, y0 + bottom_pad + small * 1.4 / 72 * compared,
                measure.fit(provisional, avail, fine), fontsize=fine, va="bottom", ha="left",
                color=theme.MUTED)
    if not compared:
        return
    prev, growth = _growth(answer, col, j)
    gtext = format_change(growth, cur, prev, col.format, ctx.lang)
    sign = change_sign(growth, cur, prev, col.format)
    # A provisional (or small-sample) value's change is not yet a change: grey, not red/green.
    colour = theme.MUTED if provisional else theme.change_colour(sign, col.better)
    ax.text(pad_x, y0 + bottom_pad, gtext, fontsize=small, fontweight="bold", va="bottom",
            ha="left", color=colour)
    ax.text(pad_x + measure.width(gtext, small, bold=True) + 0.08, y0 + bottom_pad,
            i18n.t(ctx.lang, "chart.card.vs", value=fmt_value(prev, col, ctx)), fontsize=small,
            color=theme.MUTED, va="bottom",
            ha="left")


def draw_kpi(fig: Figure, rect: Rect, answer: Answer, ctx: Ctx) -> None:
    """One card per KPI, in the order asked; two rows when they would be too narrow.

    All cards share one axes measured in inches (one axes per card costs ~10 ms each)."""
    ms = metric_columns(answer)
    w_in, h_in = rect_inches(fig, rect)
    ax = axes_in(fig, rect)
    ax.set_axis_off()
    ax.set_xlim(0, w_in)
    ax.set_ylim(0, h_in)
    per_row = len(ms)
    while per_row > 1 and (w_in - _GAP * (per_row - 1)) / per_row < _MIN_CARD_W:
        per_row -= 1
    rows = math.ceil(len(ms) / per_row)
    cw = (w_in - _GAP * (per_row - 1)) / per_row
    ch = (h_in - _GAP * (rows - 1)) / rows
    alone = len(ms) == 1 and w_in > 4  # one KPI on a whole chart: a centred card, not a slab
    if alone:
        cw, ch = min(w_in, 3.4), min(h_in, 1.9)
    value_pt = min(ctx.pt(theme.CARD_VALUE) * (1.4 if len(ms) == 1 else 1.0), ch * 72 * 0.36)
    for k, j in enumerate(ms):
        r, c = divmod(k, per_row)
        x_in = c * (cw + _GAP) + (w_in - cw) / 2 * alone
        y_in = h_in - (r + 1) * ch - r * _GAP - (h_in - ch) / 2 * alone
        _card(ax, (x_in, y_in, cw, ch), answer, j, ctx, value_pt)


def gauge_scale(value: float, target: float | None, fmt: str,
                previous: float | None = None) -> float:
    """The gauge's full scale: rates end at 100%; otherwise room above the value and target."""
    if fmt == "percent" and max(value, target or 0.0) <= 1.0:
        return 1.0
    top = max(value, target or 0.0, previous or 0.0)
    if top <= 0:
        return 1.0
    raw = top * 1.2
    mag = 10 ** math.floor(math.log10(raw))
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 10):
        if step * mag >= raw:
            return step * mag
    return raw  # pragma: no cover


def draw_gauge(fig: Figure, rect: Rect, answer: Answer, ctx: Ctx) -> None:
    """A half dial: the value's arc over a grey track, the target as a dark tick."""
    j = metric_columns(answer)[0]
    col = answer.columns[j]
    raw = num(answer.rows[0][j])  # None: an empty denominator, shown as —
    value = raw or 0.0
    prev, growth = _growth(answer, col, j)
    top = gauge_scale(value, ctx.target, col.format, prev)
    ax, unit, aw = _dial_axes(fig, rect, ctx)
    _dial(ax, value, top, col, ctx)
    big = min(ctx.pt(theme.CARD_VALUE), unit * 72 * 0.3)
    ax.text(0, 0.04, fmt_value(raw, col, ctx, short=abs(value) >= 1e6), ha="center",
            va="bottom", fontsize=big, fontweight="bold", color=theme.INK)
    lines = _gauge_lines(answer, col, value, raw, prev, growth, ctx)
    small = ctx.pt(theme.SMALL)
    if lines:
        ax.text(0, -0.1, lines[0][0], ha="center", va="top", fontsize=small, color=lines[0][1])
    if len(lines) == 2:
        ax.text(0, -0.1 - small * 1.5 / 72 / unit, lines[1][0], ha="center", va="top",
                fontsize=small, color=lines[1][1], fontweight="bold")
    if ctx.target_basis is not None:
        # The sum in full (10,120, not 1万): it is checked against its factors.
        total = format_value(ctx.target, col.format, currency=ctx.currency, short=False,
                             lang=ctx.lang)
        _target_caption(ax, ctx, total, -0.1 - len(lines) * small * 1.5 / 72 / unit, aw)


def _dial_axes(fig: Figure, rect: Rect, ctx: Ctx) -> tuple[Axes, float, float]:
    """The gauge's axes, their inches per data unit and their width in inches."""
    w_in, h_in = rect_inches(fig, rect)
    ax = axes_in(fig, rect, top=0.05, bottom=0.05)
    ax.set_axis_off()
    aw, ah = w_in, h_in - 0.1
    # Equal scaling in inches so the dial stays round whatever the cell's shape: the dial and
    # its captions take 2.3 × 1.55 data units (radius 1), centred in the cell; where the
    # target came from takes two lines more below.
    below = 0.5 + (0.3 if ctx.target_basis is not None else 0.0)
    unit = min(aw / 2.3, ah / (1.05 + below))
    ax.set_xlim(-aw / 2 / unit, aw / 2 / unit)
    low = -below - (ah / unit - 1.05 - below) / 2
    ax.set_ylim(low, low + ah / unit)
    return ax, unit, aw


def _dial(ax: Axes, value: float, top: float, col: Column, ctx: Ctx) -> None:
    """The grey track, the value's arc (green once the target is met), the target's tick with
    its label, and the scale's two ends."""
    target = ctx.target
    r, width = 0.92, 0.2
    ax.add_artist(Wedge((0, 0), r, 0, 180, width=width, facecolor=theme.GRID, linewidth=0))
    frac = max(0.0, min(value / top, 1.0)) if top else 0.0
    met = target is not None and value >= target
    ax.add_artist(Wedge((0, 0), r, 180 - 180 * frac, 180, width=width,
                       facecolor=theme.GOOD if met else theme.ACCENT, linewidth=0))
    if target is not None and top:
        a = math.pi * (1 - min(target / top, 1.0))
        ax.plot([math.cos(a) * (r - width - 0.04), math.cos(a) * (r + 0.04)],
                [math.sin(a) * (r - width - 0.04), math.sin(a) * (r + 0.04)],
                color=theme.TARGET, linewidth=2.0, solid_capstyle="butt")
        lx, ly = math.cos(a) * (r + 0.08), math.sin(a) * (r + 0.08)
        ax.text(lx, ly, i18n.t(ctx.lang, "chart.card.target", value=fmt_value(target, col, ctx)),
                fontsize=ctx.pt(theme.SMALL),
                color=theme.MUTED, ha="left" if lx >= 0 else "right", va="bottom")
    small = ctx.pt(theme.SMALL)
    ax.text(-r + width / 2, -0.04, fmt_value(0, col, ctx), ha="center", va="top", fontsize=small,
            color=theme.FAINT)
    ax.text(r - width / 2, -0.04, fmt_value(top, col, ctx), ha="center", va="top",
            fontsize=small, color=theme.FAINT)


def _gauge_lines(
    answer: Answer,
    col: Column,
    value: float,
    raw: float | None,
    prev: float | None,
    growth: float | None,
    ctx: Ctx,
) -> list[tuple[str, str]]:
    """The lines under the value, each with its colour: the share of the target reached, and
    the change against the compared window."""
    lines: list[tuple[str, str]] = []
    target = ctx.target
    if target:
        share = f"{value / target * 100:.0f}%"
        lines.append((i18n.t(ctx.lang, "chart.card.of_target", share=share),
                      theme.MUTED))
    if _has_comparison(answer, col):
        sign = change_sign(growth, raw, prev, col.format)
        change = format_change(growth, raw, prev, col.format, ctx.lang)
        versus = i18n.t(ctx.lang, "chart.card.vs", value=fmt_value(prev, col, ctx))
        lines.append((f"{change} {versus}",
                      theme.change_colour(sign, col.better)))
    return lines


def _target_caption(ax: Axes, ctx: Ctx, total: str, y: float, width_in: float) -> None:
    """Where the target comes from, under everything else: the board's default rate, or
    targets imported per rep (charts.targets)."""
    assert ctx.target_basis is not None
    floor = max(ctx.pt(theme.SMALL) * 0.7, _MIN_PT)
    size = max(ctx.pt(theme.SMALL) * 0.9, floor)
    lines = caption(ctx.target_basis, total, ctx.lang)
    room = width_in * 0.94
    # Smaller type (never below legible) before a wrap: a sum missing a factor would mislead.
    widest = max(measure.width(line, size) for line in lines)
    size = max(size * min(1.0, room / widest), floor)
    text = "\n".join(measure.wrap(line, room, size, 2) for line in lines)
    ax.text(0, y - 0.03, text, ha="center", va="top", fontsize=size, color=theme.FAINT,
            linespacing=1.25)
