"""A clean table image: header rule, light banding, numbers right-aligned, growth coloured."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from charts import labels, theme
from charts.canvas import Ctx, Rect, axes_in, blank, companion, num, rect_inches
from metrics.answer import Answer, Column
from metrics.format import format_value

_ROW_IN = 0.27  # row height in inches at scale 1
_NUMERIC = ("count", "percent", "currency", "hours", "days", "minutes", "number")


def _cell(v: Any, col: Column, ctx: Ctx) -> str:
    if col.role == "growth":
        return labels.value(v, col, ctx.currency)
    if col.format in ("text", "date"):
        return labels.category(v, 60)
    return format_value(v, col.format, currency=ctx.currency)


def _header(col: Column) -> str:
    if col.role == "growth":
        return "growth"
    if col.role == "previous":
        return "previous"
    return labels.sentence(col.name)


def _chosen(answer: Answer, ctx: Ctx) -> list[int]:
    if ctx.columns:
        return [answer.column_index(name) for name in ctx.columns]
    return list(range(len(answer.columns)))


def draw_table(fig: Figure, rect: Rect, answer: Answer, ctx: Ctx) -> None:
    cols = _chosen(answer, ctx)
    w_in, h_in = rect_inches(fig, rect)
    size = ctx.pt(theme.LABEL) * 0.95
    row_h = _ROW_IN * ctx.scale
    fit = max(int((h_in - row_h * 1.2) / row_h), 1)
    limit = min(fit, ctx.max_rows or fit)
    rows = answer.rows[:limit]
    more = len(answer.rows) - len(rows)
    if more:  # keep a line to say so
        rows = rows[: max(limit - 1, 1)]
        more = len(answer.rows) - len(rows)
    texts = [[_cell(r[j], answer.columns[j], ctx) for j in cols] for r in rows]
    heads = [_header(answer.columns[j]) for j in cols]
    # Widths from content (in half-width cells), then scaled to the space there is.
    want = [max([labels.display_width(h) for h in heads[k:k + 1]]
                + [labels.display_width(t[k]) for t in texts]) + 2 for k in range(len(cols))]
    want = [min(w, 30) for w in want]
    cell_in = size * 0.6 / 72
    avail_cells = (w_in - 0.2) / cell_in
    scale = min(1.0, avail_cells / max(sum(want), 1))
    widths = [max(int(w * scale), 4) for w in want]
    ax = axes_in(fig, rect, left=0.1, right=0.1)
    blank(ax)
    total = sum(widths)
    xs = [sum(widths[:k]) / total for k in range(len(cols))]
    ws = [w / total for w in widths]
    lines = len(rows) + 1 + (1 if more else 0)
    step = min(row_h / h_in, 1.0 / max(lines, 1))
    y = 1.0 - step / 2
    for k, j in enumerate(cols):
        right = answer.columns[j].format in _NUMERIC or answer.columns[j].role == "growth"
        x = xs[k] + ws[k] - 0.01 if right else xs[k] + 0.005
        ax.text(x, y, labels.cut(heads[k], widths[k] - 1), ha="right" if right else "left",
                va="center", fontsize=size * 0.92, fontweight="bold", color=theme.MUTED)
    ax.plot([0, 1], [1.0 - step, 1.0 - step], color=theme.RULE, linewidth=1.0)
    for i, (r, t) in enumerate(zip(rows, texts, strict=True)):
        y = 1.0 - step * (i + 1.5)
        if i % 2 == 1:
            ax.axhspan(y - step / 2, y + step / 2, color=theme.CARD, zorder=0, linewidth=0)
        for k, j in enumerate(cols):
            col = answer.columns[j]
            right = col.format in _NUMERIC or col.role == "growth"
            colour = theme.INK
            if col.role == "growth":
                base = next((c for c in answer.columns if c.role == "metric"
                             and companion(answer, c, "growth") == j), None)
                colour = theme.change_colour(num(r[j]), base.better if base else col.better)
            x = xs[k] + ws[k] - 0.01 if right else xs[k] + 0.005
            ax.text(x, y, labels.cut(t[k], widths[k] - 1), ha="right" if right else "left",
                    va="center", fontsize=size, color=colour,
                    fontweight="bold" if col.role == "growth" else "normal")
    if more:
        y = 1.0 - step * (len(rows) + 1.5)
        ax.text(0.005, y, f"+ {more} more rows", ha="left", va="center",
                fontsize=size * 0.9, color=theme.FAINT)
