"""Parts of a whole and a process: donut, 100% bar, funnel."""

from __future__ import annotations

from matplotlib.figure import Figure

import i18n
from charts import labels, measure, theme
from charts.canvas import (
    Ctx,
    Rect,
    axes_in,
    blank,
    column,
    dim_label,
    dimension_columns,
    fmt_value,
    metric_columns,
    rect_inches,
)
from charts.choose import FUNNEL, is_share
from metrics.answer import Answer
from metrics.format import format_value


def _shares(answer: Answer, ctx: Ctx) -> tuple[list[str], list[float], list[str]]:
    """Names, fractions of the whole (largest first) and each part's own value as text."""
    d = dimension_columns(answer)[0]
    m = metric_columns(answer)[0]
    col = answer.columns[m]
    vals = [max(v or 0.0, 0.0) for v in column(answer, m)]
    total = sum(vals) or 1.0
    fractions = vals if is_share(col.name) else [v / total for v in vals]
    order = sorted(range(len(vals)), key=lambda i: fractions[i], reverse=True)
    names = [dim_label(answer, d, answer.rows[i][d], ctx) for i in order]
    own = [fmt_value(vals[i], col, ctx) if not is_share(col.name) else "" for i in order]
    return names, [fractions[i] for i in order], own


def draw_donut(fig: Figure, rect: Rect, answer: Answer, ctx: Ctx) -> None:
    """Slices with a legend beside them (names never collide), the total in the middle."""
    names, fr, own = _shares(answer, ctx)
    m = metric_columns(answer)[0]
    col = answer.columns[m]
    w_in, h_in = rect_inches(fig, rect)
    side = min(h_in - 0.1, w_in * 0.5)
    fw, fh = fig.get_size_inches()
    ax = fig.add_axes((rect[0] + 0.1 / fw, rect[1] + (h_in - side) / 2 / fh, side / fw, side / fh))
    colours = [theme.SERIES[i % len(theme.SERIES)] for i in range(len(fr))]
    # Nothing to share (all zero): an empty grey ring rather than an error.
    ax.pie(fr if sum(fr) > 0 else [1.0], colors=colours if sum(fr) > 0 else [theme.GRID],
           startangle=90, counterclock=False,
           wedgeprops={"width": 0.36, "edgecolor": "white", "linewidth": 1.5})
    ax.set_aspect("equal")
    if not is_share(col.name):
        total = sum(v or 0.0 for v in column(answer, m))
        ax.text(0, 0.08, fmt_value(total, col, ctx), ha="center", va="center",
                fontsize=ctx.pt(theme.TITLE), fontweight="bold", color=theme.INK)
        ax.text(0, -0.16, i18n.t(ctx.lang, "chart.total"), ha="center", va="center",
                fontsize=ctx.pt(theme.SMALL), color=theme.MUTED)
    lx = rect[0] + (side + 0.35) / fw
    lax = fig.add_axes((lx, rect[1], rect[0] + rect[2] - lx, rect[3]))
    lw_in = (rect[0] + rect[2] - lx) * fw
    blank(lax)
    n = len(fr)
    size = ctx.pt(theme.LABEL)
    step = min(0.32 / h_in, 0.9 / max(n, 1))
    y = 0.5 + step * (n - 1) / 2
    for name, f, o, c in zip(names, fr, own, colours, strict=True):
        lax.text(0.0, y, "■", color=c, fontsize=size * 1.4, va="center")
        pct = format_value(f, "percent")
        room = ((0.8 if o else 1.0) - 0.09) * lw_in - measure.width(pct, size) - 0.03
        lax.text(0.09, y, measure.fit(name, room, size), color=theme.INK, fontsize=size,
                 va="center")
        lax.text(0.8 if o else 1.0, y, pct, color=theme.MUTED, fontsize=size, va="center",
                 ha="right")
        if o:
            lax.text(1.0, y, o, color=theme.INK, fontsize=size, va="center", ha="right")
        y -= step


def draw_stacked(fig: Figure, rect: Rect, answer: Answer, ctx: Ctx) -> None:
    """One 100% bar; parts ≥ 9% carry their share inside, the legend lists every part."""
    names, fr, _own = _shares(answer, ctx)
    total = sum(fr) or 1.0
    fr = [f / total for f in fr]
    keep = len(theme.SERIES) - 1  # the last, grey series colour is "other"
    if len(fr) > keep + 1:  # colours would repeat: the smallest parts become one "other"
        names = names[:keep] + [f"other ({len(fr) - keep})"]
        fr = fr[:keep] + [sum(fr[keep:])]
    colours = [theme.SERIES[i] for i in range(len(fr))]
    w_in, h_in = rect_inches(fig, rect)
    ax = axes_in(fig, (rect[0], rect[1] + rect[3] * 0.55, rect[2], rect[3] * 0.45),
                 left=0.1, right=0.1, top=0.1, bottom=0.05)
    blank(ax)
    x = 0.0
    for f, c in zip(fr, colours, strict=True):
        ax.barh(0.5, f, left=x, height=0.7, color=c, edgecolor="white", linewidth=1.2)
        if f >= 0.09:
            ax.text(x + f / 2, 0.5, format_value(f, "percent"), ha="center", va="center",
                    color="white", fontsize=ctx.pt(theme.VALUE), fontweight="bold")
        x += f
    lax = axes_in(fig, (rect[0], rect[1], rect[2], rect[3] * 0.55), left=0.1, right=0.1)
    blank(lax)
    size = ctx.pt(theme.SMALL)
    cols = max(1, int((w_in - 0.2) / 1.9))
    rows = -(-len(fr) // cols)
    for k, (name, f, c) in enumerate(zip(names, fr, colours, strict=True)):
        r, cidx = divmod(k, cols)
        x0 = cidx / cols
        yy = 1 - (r + 0.5) / max(rows, 4)
        lax.text(x0, yy, "■", color=c, fontsize=size * 1.4, va="center")
        label = f"{measure.fit(name, 1.25, size)} {format_value(f, 'percent')}"
        lax.text(x0 + 0.1 / w_in * 2, yy, label, color=theme.INK, fontsize=size, va="center")


def _stages(answer: Answer, ctx: Ctx) -> tuple[list[str], list[float | None], list[str]]:
    ms = metric_columns(answer)
    if not dimension_columns(answer):  # several KPIs in one row: the funnel's stages
        order = sorted(ms, key=lambda j: next(
            (k for k, names in enumerate(FUNNEL) if answer.columns[j].name in names), 99))
        row = answer.rows[0]
        vals = [column(answer, j)[0] for j in order]
        return ([labels.sentence(answer.columns[j].spoken) for j in order], vals,
                [fmt_value(row[j], answer.columns[j], ctx, short=False) for j in order])
    d = dimension_columns(answer)[0]
    m = ms[0]
    col = answer.columns[m]
    vals = column(answer, m)
    return ([dim_label(answer, d, r[d], ctx) for r in answer.rows], vals,
            [fmt_value(v, col, ctx, short=False) for v in vals])


def draw_funnel(fig: Figure, rect: Rect, answer: Answer, ctx: Ctx) -> None:
    """Centred bars narrowing stage by stage; each step's conversion written on the right."""
    names, vals, texts = _stages(answer, ctx)
    n = len(vals)
    w_in, h_in = rect_inches(fig, rect)
    size = min(ctx.pt(theme.LABEL), h_in * 72 / max(n, 1) * 0.35)
    names = [measure.fit(x, w_in * 0.35, size) for x in names]
    left = max(measure.width(x, size) for x in names) + 0.15
    ax = axes_in(fig, rect, left=left, right=1.1, top=0.05, bottom=0.05)
    blank(ax)
    ax.set_ylim(n, 0)
    ax.set_xlim(-0.5, 0.5)
    top = max([v or 0.0 for v in vals] + [0.0]) or 1.0
    aw = w_in - left - 1.1
    for i, (name, v, t) in enumerate(zip(names, vals, texts, strict=True)):
        f = max((v or 0.0) / top, 0.03)
        ax.barh(i + 0.5, f, left=-f / 2, height=0.7, color=theme.ACCENT,
                alpha=1.0 - 0.18 * min(i, 4))
        inside = measure.width(t, size) * 1.1 + 0.15 < f * aw
        ax.text(0 if inside else f / 2 + 0.02, i + 0.5, t, ha="center" if inside else "left",
                va="center", fontsize=size, fontweight="bold",
                color="white" if inside else theme.INK)
        ax.annotate(name, (0.0, i + 0.5), xycoords=("axes fraction", "data"), xytext=(-8, 0),
                    textcoords="offset points", ha="right", va="center", fontsize=size,
                    color=theme.INK)
        if i > 0 and vals[i - 1]:
            # The step's conversion, written on the boundary between the two stages.
            rate = (v or 0.0) / (vals[i - 1] or 1.0)
            ax.annotate(f"↓ {format_value(rate, 'percent')}", (1.0, i + 0.1),
                        xycoords=("axes fraction", "data"), xytext=(8, 0),
                        textcoords="offset points", va="center", ha="left",
                        fontsize=size * 0.92, color=theme.MUTED)
