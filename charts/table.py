"""A clean table image: header rule, light banding, numbers right-aligned, growth coloured."""

from __future__ import annotations

from datetime import date
from typing import Any

from matplotlib.figure import Figure

from charts import labels, theme
from charts.canvas import Ctx, Rect, axes_in, blank, companion, num, rect_inches
from metrics.answer import Answer, Column
from metrics.catalog import GRAINS
from metrics.caveats import MARKS, PROVISIONAL_MARK, SMALL_MARK, partial_label
from metrics.format import format_bucket, format_change, format_date, format_value

_ROW_IN = 0.27  # row height in inches at scale 1
_NUMERIC = ("count", "percent", "currency", "hours", "days", "minutes", "number")


def _marked(answer: Answer, row: int, col: Column, text: str) -> str:
    """A cell as tables mark it (metrics.caveats): † small sample, ~ provisional, and a time
    bucket only partly in the window "(to date)"."""
    if col.role == "dimension" and col.name in GRAINS and answer.partial_row(row) is not None:
        return text + partial_label(answer, row)
    if col.role != "metric":
        return text
    mark = PROVISIONAL_MARK if answer.provisional(col.metric, row) else ""
    return mark + text + (f" {SMALL_MARK}" if answer.small(col.metric, row) else "")


def _is_number(col: Column) -> bool:
    return col.format in _NUMERIC or col.role == "growth"


def _cell(v: Any, col: Column, ctx: Ctx) -> str:
    if col.role == "growth":
        return labels.value(v, col, ctx.currency)
    if col.role == "dimension" and col.name in GRAINS and isinstance(v, date):
        return format_bucket(v, col.name, fiscal_start_month=ctx.fiscal_start_month)
    if col.format == "date" and isinstance(v, date):
        return format_date(v)
    if col.format in ("text", "date"):
        return labels.category(v, 60)
    return format_value(v, col.format, currency=ctx.currency)


# Headers that would otherwise wrap over a narrow number column.
SHORT_HEADERS = {
    "sales cycle length": "Cycle",
    "cycle length (days)": "Cycle",
    "lead response time": "Response",
    "average deal size": "Avg deal",
    "close date": "Closed",
}


def _row_cell(answer: Answer, row: tuple[Any, ...], j: int, ctx: Ctx) -> str:
    """A cell; a rate's change in percentage points, from its row's two values."""
    col = answer.columns[j]
    cur, prev = answer.companion(col, "metric"), answer.companion(col, "previous")
    if col.role == "growth" and cur is not None and prev is not None:
        return format_change(row[j], row[cur], row[prev], answer.columns[cur].format)
    return _cell(row[j], col, ctx)


def _header(answer: Answer, col: Column) -> str:
    if col.role == "growth":
        return "change" if col.label else "growth"
    if col.role == "previous":
        return answer.sides[1] if answer.sides else "previous"
    return SHORT_HEADERS.get(col.name, labels.sentence(col.shown))


def _chosen(answer: Answer, ctx: Ctx) -> list[int]:
    if ctx.columns:
        return [answer.column_index(name) for name in ctx.columns]
    return list(range(len(answer.columns)))


def _widths(
    answer: Answer, cols: list[int], heads: list[str], texts: list[list[str]], avail: float
) -> list[int]:
    """Column widths in half-width cells. With room, every column gets its header and its
    longest value and the spare is spread over all; without, numbers and dates keep their
    width (they are never cut), headers wrap, and text columns share what is left."""
    fixed = [_is_number(answer.columns[j]) or answer.columns[j].format == "date" for j in cols]
    data_w = [max([labels.display_width(t[k]) for t in texts] + [1]) for k in range(len(cols))]
    head_w = [labels.display_width(h) for h in heads]
    full = [
        max(d, min(h, 16)) + 2 if f else min(max(d, h), 32) + 2
        for d, h, f in zip(data_w, head_w, fixed, strict=True)
    ]
    if sum(full) <= avail:
        grow = avail / sum(full)
        return [int(w * grow) for w in full]
    want = [
        max(d, 6) + 2 if f else min(max(d, h), 32) + 2
        for d, h, f in zip(data_w, head_w, fixed, strict=True)
    ]
    fixed_total = sum(w for w, f in zip(want, fixed, strict=True) if f)
    flex_total = sum(w for w, f in zip(want, fixed, strict=True) if not f)
    scale = min(1.0, max(avail - fixed_total, 0) / max(flex_total, 1))
    return [w if f else max(int(w * scale), 6) for w, f in zip(want, fixed, strict=True)]


def draw_table(fig: Figure, rect: Rect, answer: Answer, ctx: Ctx) -> None:
    cols = _chosen(answer, ctx)
    w_in, h_in = rect_inches(fig, rect)
    size = ctx.pt(theme.LABEL) * 0.95
    row_h = _ROW_IN * ctx.scale
    fit = max(int(h_in / row_h - 1.6), 1)  # rows under a (possibly two-line) header
    if len(answer.rows) > fit and ctx.max_rows is None:
        # Many rows: tighter rows (down to 0.2 in) and smaller type show more of them.
        row_h = max(0.2 * ctx.scale, h_in / (len(answer.rows) + 1.6))
        size *= row_h / (_ROW_IN * ctx.scale)
        fit = max(int(h_in / row_h - 1.6), 1)
    limit = min(fit, ctx.max_rows or fit)
    rows = answer.rows[:limit]
    more = len(answer.rows) - len(rows)
    if more:  # keep a line to say so
        rows = rows[: max(limit - 1, 1)]
        more = len(answer.rows) - len(rows)
    texts = [
        [_marked(answer, i, answer.columns[j], _row_cell(answer, r, j, ctx)) for j in cols]
        for i, r in enumerate(rows)
    ]
    heads = [_header(answer, answer.columns[j]) for j in cols]
    widths = _widths(answer, cols, heads, texts, (w_in - 0.2) / (size * 0.56 / 72))
    ax = axes_in(fig, rect, left=0.1, right=0.1)
    blank(ax)
    total = sum(widths)
    xs = [sum(widths[:k]) / total for k in range(len(cols))]
    ws = [w / total for w in widths]
    head_txt = [labels.wrap(h, w - 1, 2) for h, w in zip(heads, widths, strict=True)]
    head_rows = 1.6 if any("\n" in h for h in head_txt) else 1.0
    lines = len(rows) + head_rows + (1 if more else 0)
    step = min(row_h / h_in, 1.0 / max(lines, 1))
    y = 1.0 - step * head_rows / 2
    for k, j in enumerate(cols):
        right = _is_number(answer.columns[j])
        x = xs[k] + ws[k] - 0.01 if right else xs[k] + 0.005
        ax.text(
            x,
            y,
            head_txt[k],
            ha="right" if right else "left",
            va="center",
            fontsize=size * 0.92,
            fontweight="bold",
            color=theme.MUTED,
            linespacing=1.1,
        )
    base = 1.0 - step * head_rows
    ax.plot([0, 1], [base, base], color=theme.RULE, linewidth=1.0)
    for i, (r, t) in enumerate(zip(rows, texts, strict=True)):
        y = base - step * (i + 0.5)
        if i % 2 == 1:
            ax.axhspan(y - step / 2, y + step / 2, color=theme.CARD, zorder=0, linewidth=0)
        for k, j in enumerate(cols):
            col = answer.columns[j]
            right = _is_number(col)
            colour = theme.FAINT if col.role == "metric" and answer.small(col.metric, i) else \
                theme.INK
            if col.role == "growth":
                kpi = next(
                    (
                        c
                        for c in answer.columns
                        if c.role == "metric" and companion(answer, c, "growth") == j
                    ),
                    None,
                )
                colour = theme.change_colour(num(r[j]), kpi.better if kpi else col.better)
            x = xs[k] + ws[k] - 0.01 if right else xs[k] + 0.005
            ax.text(
                x,
                y,
                labels.cut(t[k], widths[k] - 1),
                ha="right" if right else "left",
                va="center",
                fontsize=size,
                color=colour,
                fontweight="bold" if col.role == "growth" else "normal",
            )
    rules = [c for c in answer.caveats if c.startswith(MARKS) and c[0] in "".join(sum(texts, []))]
    under = [*([f"+ {more} more rows"] if more else []), *rules]
    room = int((w_in - 0.25) * 72 / (size * 0.9 * 0.56))
    for k, line in enumerate(under):  # a line each, as long as the panel has room
        y = base - step * (len(rows) + 0.5 + k)
        if y < step / 2 and k:
            break
        ax.text(0.005, y, labels.cut(line, room), ha="left", va="center",
                fontsize=size * 0.9, color=theme.FAINT)
