"""A clean table image: header rule, light banding, numbers right-aligned, growth coloured.

Columns are as wide as their measured contents (not stretched across the image); when they do
not fit, numbers and dates keep their width, headers wrap and text columns share the rest —
wrapped to two lines when there is height for it, else cut with "…". A column whose value is
the same on every row (a dashboard filtered to one rep) is dropped and said above the table.
Rows shrink to the smallest label size before any is left out ("+ 4 more rows").
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

import i18n
from charts import axis, labels, measure, theme
from charts.canvas import Ctx, Rect, axes_in, blank, companion, num, rect_inches
from metrics.answer import Answer, Column
from metrics.catalog import GRAINS
from metrics.caveats import MARKS, PROVISIONAL_MARK, SMALL_MARK, partial_label
from metrics.format import format_bucket, format_change, format_date, format_value

_NUMERIC = ("count", "percent", "currency", "hours", "days", "minutes", "number")
_CELL_PAD = 0.16  # inches between columns
_MAX_SPARE = 0.5  # at most this much extra room per column when the table is narrower
_ROW = 1.75  # row pitch in line heights (comfortable); down to _TIGHT when rows are many
_TIGHT = 1.3
_HALF_GAP = 0.35  # inches between the two halves of a table drawn side by side


def _marked(answer: Answer, row: int, col: Column, text: str) -> str:
    """A cell as tables mark it (metrics.caveats): † small sample, ~ provisional, and a time
    bucket only partly in the window "(to date)"."""
    if col.role == "dimension" and col.name in GRAINS and answer.partial_for_all(row) is not None:
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
        return format_bucket(
            v, col.name, fiscal_start_month=ctx.fiscal_start_month, lang=ctx.lang
        )
    if col.format == "date" and isinstance(v, date):
        return format_date(v, ctx.lang)
    if col.format in ("text", "date"):
        return labels.category(v, col.name, ctx.lang)
    return format_value(v, col.format, currency=ctx.currency, lang=ctx.lang)


def _row_cell(answer: Answer, row: tuple[Any, ...], j: int, ctx: Ctx) -> str:
    """A cell; a rate's change in percentage points, from its row's two values."""
    col = answer.columns[j]
    cur, prev = answer.companion(col, "metric"), answer.companion(col, "previous")
    if col.role == "growth" and cur is not None and prev is not None:
        fmt = answer.columns[cur].format
        return format_change(row[j], row[cur], row[prev], fmt, answer.language)
    return _cell(row[j], col, ctx)


def _texts(answer: Answer, rows: Any, cols: list[int], ctx: Ctx) -> list[list[str]]:
    """The first ``len(rows)`` rows' cells as shown: changes in points, marks (†, ~, to date)."""
    return [[_marked(answer, i, answer.columns[j], _row_cell(answer, r, j, ctx)) for j in cols]
            for i, r in enumerate(rows)]


def _header(answer: Answer, col: Column) -> str:
    lang = answer.language
    if col.role == "growth":
        points = col.label.endswith(i18n.t(lang, "column.change", metric=""))
        return i18n.t(lang, "chart.table.change" if points else "chart.table.growth")
    if col.role == "previous":
        return answer.sides[1] if answer.sides else i18n.t(lang, "chart.table.previous")
    return labels.SHORT_HEADERS.get(col.shown, labels.sentence(col.shown))


def _chosen(answer: Answer, ctx: Ctx) -> list[int]:
    if ctx.columns:
        return [answer.column_index(name) for name in ctx.columns]
    return list(range(len(answer.columns)))


def constant_columns(answer: Answer, cols: list[int]) -> list[int]:
    """Text columns with one value on every row (2+ rows): said once, not repeated."""
    if len(answer.rows) < 2:
        return []
    return [j for j in cols if answer.columns[j].format == "text"
            and len({r[j] for r in answer.rows}) == 1 and answer.rows[0][j] is not None]


@dataclass(frozen=True)
class _Layout:
    widths: list[float]  # inches per column
    heads: list[str]  # wrapped headers
    cells: list[list[str]]  # fitted cell texts
    head_lines: int
    row_lines: int
    size: float


def _layout(answer: Answer, cols: list[int], texts: list[list[str]], avail: float,
            size: float, lines: int) -> _Layout:
    heads = [_header(answer, answer.columns[j]) for j in cols]
    fixed = [_is_number(answer.columns[j]) or answer.columns[j].format == "date" for j in cols]
    data = [max([measure.width(t[k], size) for t in texts] + [0.2]) for k in range(len(cols))]
    head = [measure.width(h, max(size * 0.92, axis.MIN_LABEL_PT), True) for h in heads]
    full = [max(d, hd) + _CELL_PAD for d, hd in zip(data, head, strict=True)]
    if sum(full) <= avail:
        spare = min((avail - sum(full)) / len(cols), _MAX_SPARE)
        widths = [w + spare for w in full]
    else:
        # Headers may wrap over their column; numbers and dates keep their width.
        # On two lines a text column needs about half its width (but its longest word).
        per_line = [d if f or lines == 1 else max(d / lines * 1.15, _longest_word(texts, k, size))
                    for k, (d, f) in enumerate(zip(data, fixed, strict=True))]
        need = [max(d, min(hd, max(d, 0.7))) + _CELL_PAD
                for d, hd in zip(per_line, head, strict=True)]
        fixed_total = sum(w for w, f in zip(need, fixed, strict=True) if f)
        floor = [hd + _CELL_PAD for hd in head]  # a header is never cut
        flex = _water_fill([w for w, f in zip(need, fixed, strict=True) if not f],
                           [x for x, f in zip(floor, fixed, strict=True) if not f],
                           avail - fixed_total)
        it = iter(flex)
        widths = [w if f else next(it) for w, f in zip(need, fixed, strict=True)]
    hsize = max(size * 0.92, axis.MIN_LABEL_PT)
    heads = [measure.wrap(h, w - _CELL_PAD, hsize, 2, True) for h, w in
             zip(heads, widths, strict=True)]
    cells = [[measure.wrap(t[k], widths[k] - _CELL_PAD, size, lines) for k in range(len(cols))]
             for t in texts]
    return _Layout(widths, heads, cells, max(h.count("\n") + 1 for h in heads),
                   max([c.count("\n") + 1 for r in cells for c in r] + [1]), size)


def _longest_word(texts: list[list[str]], k: int, size: float) -> float:
    return max([measure.width(w, size) for t in texts for w in t[k].split()] + [0.2])


def _water_fill(want: list[float], floor: list[float], room: float) -> list[float]:
    """Share ``room`` among columns: each gets what it wants up to an equal share, and what
    the narrow ones leave goes to the wide ones; never below its floor."""
    got = [0.0] * len(want)
    left = list(range(len(want)))
    while left:
        share = max(room, 0.0) / len(left)
        small = [i for i in left if want[i] <= share]
        if not small:
            for i in left:
                got[i] = share
            break
        for i in small:
            got[i] = want[i]
            room -= want[i]
        left = [i for i in left if i not in small]
    return [max(g, f) for g, f in zip(got, floor, strict=True)]


def _fit_rows(n: int, h_in: float, size: float) -> tuple[float, int, float]:
    """The type size, how many rows fit in ``h_in`` (header and caption lines included) and
    the row pitch: comfortable rows first, then tighter, then smaller type."""
    s = size
    while True:
        for spacing in (_ROW, _TIGHT):
            pitch = measure.height(1, s) * spacing
            fit = int((h_in - measure.height(2.2, s)) / pitch)
            if fit >= n:
                return s, n, pitch
        if s <= axis.MIN_LABEL_PT:
            return s, max(fit, 1), pitch
        s = max(s - 0.5, axis.MIN_LABEL_PT)


def draw_table(fig: Figure, rect: Rect, answer: Answer, ctx: Ctx) -> None:
    cols = _chosen(answer, ctx)
    same = constant_columns(answer, cols)
    cols = [j for j in cols if j not in same]
    w_in, h_in = rect_inches(fig, rect)
    caption = " · ".join(f"{labels.sentence(answer.columns[j].spoken)}: "
                         f"{_cell(answer.rows[0][j], answer.columns[j], ctx)}" for j in same)
    if caption:
        caption = i18n.t(ctx.lang, "chart.table.every_row", caption=caption)
    body_h = h_in - (measure.height(1.3, ctx.pt(theme.SMALL)) if caption else 0.0)
    if not caption and _halves(fig, rect, answer, cols, body_h, ctx):
        return
    size, fit, pitch = _fit_rows(len(answer.rows), body_h, ctx.pt(theme.LABEL) * 0.95)
    rows = answer.rows[:fit]
    more = len(answer.rows) - len(rows)
    if more:  # keep a line to say so
        rows = rows[: max(fit - 1, 1)]
        more = len(answer.rows) - len(rows)
    texts = _texts(answer, rows, cols, ctx)
    avail = w_in - 0.2
    lay = _layout(answer, cols, texts, avail, size, 1)
    if any(measure.is_cut(c) for r in lay.cells for c in r):
        # The room a short table leaves: names in full on two lines, a point smaller if need be.
        for s2 in (size, size - 1.0):
            two = _layout(answer, cols, texts, avail, s2, 2)
            line2 = measure.height(1, s2)
            pitch2 = two.row_lines * line2 + line2 * 0.5
            need = measure.height(two.head_lines + 0.8, s2) + len(rows) * pitch2
            if need <= body_h and s2 >= axis.MIN_LABEL_PT:
                lay, pitch = two, pitch2
                break
    ax = axes_in(fig, rect, left=0.1, right=0.1)
    blank(ax)
    ax.set_xlim(0, w_in - 0.2)
    ax.set_ylim(0, h_in)
    _draw(ax, answer, cols, lay, rows, pitch, h_in, caption, (more, _rules(answer, texts), 0),
          ctx)


def _halves(fig: Figure, rect: Rect, answer: Answer, cols: list[int], body_h: float,
            ctx: Ctx) -> bool:
    """A long, narrow table in a wide cell (the outbound dashboard's eleven reps): its rows in
    two halves side by side at (nearly) the comfortable size, rather than small type and empty
    space. False when that does not fit (the caller draws one table)."""
    full = ctx.pt(theme.LABEL) * 0.95
    n = len(answer.rows)
    if n <= int((body_h - measure.height(2.2, full)) / (measure.height(1, full) * _ROW)):
        return False  # one table at full size
    fw, _fh = fig.get_size_inches()
    w_in, h_in = rect_inches(fig, rect)
    half = (w_in - 0.2 - _HALF_GAP) / 2
    texts = _texts(answer, answer.rows, cols, ctx)
    for size in (full, full - 0.5, full - 1.0):
        pitches = [measure.height(1, size) * spacing for spacing in (_ROW, _TIGHT)]
        room = body_h - measure.height(2.2, size)
        pitch = next((p for p in pitches if 2 * int(room / p) >= n), None)
        if pitch is None:
            continue
        lay = _layout(answer, cols, texts, half, size, 1)
        if sum(lay.widths) <= half + 0.01 and not any(measure.is_cut(c) for r in lay.cells
                                                       for c in r):
            _draw_halves(fig, rect, answer, cols, lay, pitch, (half, h_in, fw), ctx)
            return True
    return False


def _draw_halves(fig: Figure, rect: Rect, answer: Answer, cols: list[int], lay: _Layout,
                 pitch: float, dims: tuple[float, float, float], ctx: Ctx) -> None:
    half, h_in, fw = dims
    n = len(answer.rows)
    k = -(-n // 2)
    for i, part in enumerate((slice(0, k), slice(k, n))):
        x = rect[0] + (0.1 + i * (half + _HALF_GAP)) / fw
        ax = fig.add_axes((x, rect[1], half / fw, rect[3]))
        blank(ax)
        ax.set_xlim(0, half)
        ax.set_ylim(0, h_in)
        _draw(ax, answer, cols, dataclasses.replace(lay, cells=lay.cells[part]),
              answer.rows[part], pitch, h_in, "",
              (0, _rules(answer, lay.cells) if i else [], part.start), ctx)


def _draw(ax: Axes, answer: Answer, cols: list[int], lay: _Layout, rows: Any, pitch: float,
          h_in: float, caption: str, under: tuple[int, list[str], int], ctx: Ctx) -> None:
    """``under``: rows left out, the caveat rules to say under the rows, and the index of the
    first row drawn (its marks and small-sample colours)."""
    more, rules, start = under
    size = lay.size
    xs = [sum(lay.widths[:k]) for k in range(len(cols))]
    total = sum(lay.widths)
    y = h_in
    if caption:
        small = ctx.pt(theme.SMALL)
        ax.text(0.04, y, measure.fit(caption, total, small), ha="left", va="top",
                fontsize=small, color=theme.MUTED)
        y -= measure.height(1.3, small)
    hsize = max(size * 0.92, axis.MIN_LABEL_PT)
    head_h = measure.height(lay.head_lines, hsize) + 0.08
    for k, j in enumerate(cols):
        right = _is_number(answer.columns[j])
        x = xs[k] + lay.widths[k] - _CELL_PAD / 2 if right else xs[k] + 0.04
        ax.text(x, y - head_h / 2, lay.heads[k], ha="right" if right else "left",
                va="center", fontsize=hsize, fontweight="bold", color=theme.MUTED,
                linespacing=1.1)
    y -= head_h
    # Never below the cell, whatever the header took: rows close up instead.
    pitch = min(pitch, y / max(len(lay.cells) + (1 if more else 0), 1))
    ax.plot([0, total], [y, y], color=theme.RULE, linewidth=1.0)
    for i, (r, t) in enumerate(zip(rows, lay.cells, strict=True)):
        mid = y - pitch * (i + 0.5)
        if i % 2 == 1:
            ax.fill_between([0, total], mid - pitch / 2, mid + pitch / 2, color=theme.CARD,
                            zorder=0, linewidth=0)
        for k, j in enumerate(cols):
            col = answer.columns[j]
            right = _is_number(col)
            x = xs[k] + lay.widths[k] - _CELL_PAD / 2 if right else xs[k] + 0.04
            ax.text(x, mid, t[k], ha="right" if right else "left", va="center",
                    fontsize=size, color=_colour(answer, col, j, r, start + i), linespacing=1.1,
                    fontweight="bold" if col.role == "growth" else "normal")
    lines = [*([i18n.plural("chart.table.more_rows", more).say(ctx.lang)] if more else []), *rules]
    usize = max(size * 0.9, axis.MIN_LABEL_PT)
    for k, line in enumerate(lines):  # a line each, as long as the cell has room
        ly = y - pitch * (len(lay.cells) + 0.5 + k)
        if ly < pitch / 2 and k:
            break
        ax.text(0.04, ly, measure.fit(line, total, usize), ha="left", va="center",
                fontsize=usize, color=theme.MUTED)


def _rules(answer: Answer, cells: list[list[str]]) -> list[str]:
    """The caveat rules (metrics.caveats) whose mark appears in the cells drawn."""
    shown = "".join(c for r in cells for c in r)
    return [c for c in answer.caveats if c.startswith(MARKS) and c[0] in shown]


def _colour(answer: Answer, col: Column, j: int, row: Any, i: int) -> str:
    """Changes red/green by the KPI's better direction; a small sample's value faint; a
    yardstick row (a team median) grey throughout."""
    if i in answer.reference_rows:
        return theme.MUTED
    if col.role == "metric":
        return theme.FAINT if answer.small(col.metric, i) else theme.INK
    if col.role != "growth":
        return theme.INK
    kpi = next((c for c in answer.columns
                if c.role == "metric" and companion(answer, c, "growth") == j), None)
    return theme.change_colour(num(row[j]), kpi.better if kpi else col.better)
