"""What every drawer shares: the drawing context, column look-ups and axes placed in inches.

A drawer is ``draw(fig, rect, answer, ctx)``: it fills ``rect`` (left, bottom, width, height in
figure fractions) of ``fig``. The same drawers make a single chart and a dashboard cell.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from charts import labels, measure, theme
from charts.choose import grouping_kind
from charts.targets import TargetBasis
from i18n import Language, t
from metrics.answer import Answer, Column
from metrics.format import format_value

Rect = tuple[float, float, float, float]


@dataclass(frozen=True)
class Ctx:
    currency: str = "USD"
    fiscal_start_month: int = 1
    target: float | None = None  # for gauges
    target_basis: TargetBasis | None = None  # what a dashboard gauge's target is made of
    columns: tuple[str, ...] = ()  # tables: which columns, in this order (default: all)
    max_rows: int | None = None  # tables: at most this many rows
    scale: float = 1.0  # type scale
    card: str = theme.CARD  # KPI card fill (white on a dashboard's grey page)
    lang: Language = Language.EN  # the answer's: every word and number drawn is said in it

    def pt(self, size: float) -> float:
        return size * self.scale


Drawer = Callable[[Figure, Rect, Answer, Ctx], None]


def metric_columns(answer: Answer) -> list[int]:
    return [i for i, c in enumerate(answer.columns) if c.role == "metric"]


def dimension_columns(answer: Answer) -> list[int]:
    return [i for i, c in enumerate(answer.columns) if c.role == "dimension"]


def side_names(answer: Answer) -> tuple[str, str]:
    """The legend names of a comparison's two sides ("2025", "2026" when both were named)."""
    lang = answer.language
    return answer.sides or (t(lang, "restate.current"), t(lang, "window.previous_period"))


def companion(answer: Answer, metric: Column, role: str) -> int | None:
    """The index of ``metric``'s previous or growth column, if the answer has one."""
    key = metric.metric or metric.name
    for i, c in enumerate(answer.columns):
        if c.role == role and (c.metric or "") == key:
            return i
    suffix = " (previous)" if role == "previous" else " growth"
    for i, c in enumerate(answer.columns):
        if c.role == role and c.name == metric.name + suffix:
            return i
    return None


def num(v: Any) -> float | None:
    if v is None:
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return None if x != x else x  # NaN is no value


def column(answer: Answer, j: int | None) -> list[float | None]:
    if j is None:
        return [None] * len(answer.rows)
    return [num(r[j]) for r in answer.rows]


def dim_label(answer: Answer, j: int, v: Any, ctx: Ctx) -> str:
    """A grouping value as shown on an axis, whole: time buckets via metrics.format (the
    drawers fit names to their room with charts.axis)."""
    name = answer.columns[j].name
    if grouping_kind(name) == "time":
        return labels.tick(v, name, ctx.fiscal_start_month, ctx.lang)
    return labels.category(v, name, ctx.lang)


def hollow_rows(answer: Answer, col: Column) -> list[bool]:
    """Rows drawn hollow and dashed: a time bucket only partly in the window, or a value that
    is still provisional (its records' outcomes are open)."""
    return [
        answer.partial_of(i, col.metric) is not None or answer.provisional(col.metric, i)
        for i in range(len(answer.rows))
    ]


def bar_colours(answer: Answer, col: Column, order: list[int],
                colour: str = theme.ACCENT) -> list[str]:
    """One colour per bar in ``order``: pale where the value stands on a small sample, grey
    for a yardstick row (a team median)."""
    return [theme.PREVIOUS if i in answer.reference_rows
            else theme.FADED if answer.small(col.metric, i) else colour for i in order]


def caveat_key(answer: Answer, col: Column, hollow: str = "circle") -> str:
    """The key to what a chart draws differently, said once: "○ partial period", "○ provisional
    (outcomes still open)", "pale: fewer than 20 closed deals"; "" when nothing is. ``hollow``:
    how the chart draws a partial or provisional value ("circle", "○", on a line; "dashed",
    "dashed:", on bars)."""
    n = range(len(answer.rows))
    lang = answer.language
    hollow = t(lang, f"chart.hollow.{hollow}")
    parts = []
    if any(answer.partial_of(i, col.metric) is not None for i in n):
        parts.append(t(lang, "chart.key.partial", hollow=hollow))
    if any(answer.provisional(col.metric, i) for i in n):
        parts.append(t(lang, "chart.key.provisional", hollow=hollow))
    sample = answer.sample(col.metric)
    if sample is not None and any(answer.small(col.metric, i) for i in n):
        parts.append(t(lang, "chart.key.small", n=answer.min_sample, noun=sample.noun))
    return " · ".join(parts)


def fmt_value(v: Any, col: Column, ctx: Ctx, short: bool = True) -> str:
    return labels.value(v, col, ctx.currency, short=short, lang=ctx.lang)


def value_axis(axis: Any, col: Column, ctx: Ctx, nbins: int = 4) -> None:
    """Ticks on a value axis formatted like the KPI (17.9%, $48k, 1.2k, 3.5 h)."""
    axis.set_major_locator(MaxNLocator(nbins=nbins, min_n_ticks=3))
    axis.set_major_formatter(
        FuncFormatter(lambda x, _pos: format_value(x, col.format, currency=ctx.currency,
                                                   short=True, lang=ctx.lang))
    )


def axes_in(fig: Figure, rect: Rect, left: float = 0.0, bottom: float = 0.0,
            right: float = 0.0, top: float = 0.0) -> Axes:
    """Axes filling ``rect`` minus margins given in inches (labels need inches, not fractions)."""
    fw, fh = fig.get_size_inches()
    x, y, w, h = rect
    lx, by, rx, ty = left / fw, bottom / fh, right / fw, top / fh
    ax = fig.add_axes((x + lx, y + by, max(w - lx - rx, 0.01), max(h - by - ty, 0.01)))
    return ax


def rect_inches(fig: Figure, rect: Rect) -> tuple[float, float]:
    fw, fh = fig.get_size_inches()
    return rect[2] * fw, rect[3] * fh


def clean(ax: Axes, grid: Literal["x", "y"] | None = None) -> None:
    """No box, no tick marks; an optional light grid along ``grid`` ('x' or 'y')."""
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_facecolor("none")
    if grid:
        ax.grid(axis=grid, color=theme.GRID, linewidth=0.8)
        ax.set_axisbelow(True)
    ax.tick_params(length=0)


def blank(ax: Axes) -> None:
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)


def message(fig: Figure, rect: Rect, text: str, ctx: Ctx) -> None:
    """A sentence in place of a chart (a dashboard cell with no data)."""
    ax = axes_in(fig, rect)
    blank(ax)
    ax.text(0.5, 0.5, text, ha="center", va="center", color=theme.FAINT,
            fontsize=ctx.pt(theme.LABEL), wrap=True)


def legend(fig: Figure, rect: Rect, items: list[tuple[str, str]], ctx: Ctx,
           mark: str = "■") -> None:
    """A one-line legend of ■ swatches (or ``mark``: ● for dots) above the plot, left aligned;
    labels share the width (each at most 2.6 in), cut with "…" only when they must be."""
    fw, fh = fig.get_size_inches()
    x = rect[0] + 0.05 / fw
    y = rect[1] + rect[3] - 0.14 / fh
    size = ctx.pt(theme.SMALL)
    room = _legend_room([measure.width(t, size) for t, _ in items], rect[2] * fw - 0.05)
    for text, colour in items:
        fig.text(x, y, mark, color=colour, fontsize=size * 1.15, va="center")
        x += 0.17 / fw
        label = measure.fit(text, room, size)
        fig.text(x, y, label, color=theme.MUTED, fontsize=size, va="center")
        x += (measure.width(label, size) + 0.25) / fw


def _legend_room(widths: list[float], avail: float, cap: float = 2.6, gap: float = 0.42) -> float:
    """The widest a legend label may be so that all fit in ``avail`` inches: short labels keep
    their width, the longest share what is left."""
    left, rest = avail - gap * len(widths), sorted(min(w, cap) for w in widths)
    for k, w in enumerate(rest):
        if w * (len(rest) - k) > left:
            return max(left / (len(rest) - k), 0.3)
        left -= w
    return cap


def below_legend(fig: Figure, rect: Rect) -> Rect:
    """What is left of ``rect`` under a legend line."""
    return (rect[0], rect[1], rect[2], rect[3] - 0.3 / fig.get_size_inches()[1])


def sorted_rows(answer: Answer, j: int, better: str | None) -> list[int]:
    """Row order for category bars: as asked (top/bottom/sort), else best first, blanks last."""
    idx = list(range(len(answer.rows)))
    q = answer.query
    if q.ranking is not None or q.sort is not None:
        return idx
    vals = column(answer, j)
    present = [i for i in idx if vals[i] is not None]
    missing = [i for i in idx if vals[i] is None]
    present.sort(key=lambda i: vals[i] or 0.0, reverse=(better != "lower"))
    return present + missing
