"""One answer → one PNG: the chosen chart under a title (the restated question) and a subtitle
(the window's dates, the comparison window, "data as of").

>>> png = render_answer(answer)  # doctest: +SKIP
>>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"  # doctest: +SKIP
True

No rows → ``None``: the caller says a sentence instead of showing an empty chart.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from charts import labels, measure, theme
from charts.bars import draw_bars, draw_columns, draw_compare, draw_grouped, draw_panels
from charts.canvas import Ctx, Drawer, Rect
from charts.cards import draw_gauge, draw_kpi
from charts.choose import Chart, choose_with_reason
from charts.dumbbell import draw_dumbbell
from charts.heatmap import draw_heatmap
from charts.lines import draw_line, draw_lines
from charts.nested import draw_nested
from charts.parts import draw_donut, draw_funnel, draw_stacked
from charts.simplify import drop_constant_groupings
from charts.table import draw_table
from i18n import say
from metrics.answer import Answer
from metrics.caveats import EMPTY_MARK, MARKS

DRAWERS: dict[Chart, Drawer] = {
    "kpi": draw_kpi,
    "bars": draw_bars,
    "columns": draw_columns,
    "line": draw_line,
    "compare": draw_compare,
    "dumbbell": draw_dumbbell,
    "grouped": draw_grouped,
    "nested": draw_nested,
    "lines": draw_lines,
    "heatmap": draw_heatmap,
    "panels": draw_panels,
    "donut": draw_donut,
    "stacked": draw_stacked,
    "funnel": draw_funnel,
    "gauge": draw_gauge,
    "table": draw_table,
}

_MARGIN = 0.22  # inches around the image


def draw(fig: Figure, rect: Rect, chart: Chart, answer: Answer, ctx: Ctx) -> None:
    DRAWERS[chart](fig, rect, answer, ctx)


def header(fig: Figure, title: str, subtitle: str, *, size: float = theme.TITLE) -> float:
    """Title (wrapped to two lines) and subtitle at the top left; returns their height (in)."""
    fw, fh = fig.get_size_inches()
    t = measure.wrap(title, fw - 2 * _MARGIN, size, 2, bold=True)
    n = t.count("\n") + 1
    y = 1 - _MARGIN * 0.8 / fh
    fig.text(_MARGIN / fw, y, t, fontsize=size, fontweight="bold", color=theme.INK,
             va="top", ha="left", linespacing=1.15)
    used = n * size * 1.2 / 72 + 0.06
    if subtitle:
        sub = theme.SUBTITLE
        fig.text(_MARGIN / fw, y - used / fh, measure.fit(subtitle, fw - 2 * _MARGIN, sub),
                 fontsize=sub,
                 color=theme.MUTED, va="top", ha="left")
        used += sub * 1.3 / 72
    return _MARGIN * 0.8 + used + 0.12


def footer(fig: Figure, note: str | None, as_of: str) -> float:
    """A note (left) and "data as of …" (right) along the bottom; returns their height (in)."""
    if not note and not as_of:
        return 0.0
    fw, fh = fig.get_size_inches()
    size = theme.SMALL
    y = 0.12 / fh
    if as_of:
        fig.text(1 - _MARGIN / fw, y, as_of, fontsize=size, color=theme.FAINT, va="bottom",
                 ha="right")
    if note:
        room = fw - 2 * _MARGIN - measure.width(as_of, size) - 0.3
        fig.text(_MARGIN / fw, y, measure.wrap(note, room, size, 1),
                 fontsize=size, color=theme.MUTED, va="bottom", ha="left")
    return 0.3


def figure_for_answer(answer: Answer, *, currency: str = "USD", fiscal_start_month: int = 1,
                      target: float | None = None) -> Figure | None:
    """The chart as a matplotlib Figure (tests read its texts), or None when there are no rows."""
    if not answer.rows:
        return None
    answer, said = drop_constant_groupings(answer, fiscal_start_month)
    choice = choose_with_reason(answer, target=target is not None)
    ctx = Ctx(currency=currency, fiscal_start_month=fiscal_start_month, target=target,
              lang=answer.language)
    fig = theme.new_figure(theme.CHART_SIZE)
    fw, fh = fig.get_size_inches()
    subtitle = " · ".join(x for x in (labels.window_text(answer), said) if x)
    top = header(fig, labels.title_of(answer), subtitle)
    # The caveats are drawn (hollow, pale, with a key); a single value's open share is not,
    # nor why a bar is "—" where records exist (CAC without spend): that comes first.
    caveat = next(
        (c for c in answer.caveats if len(answer.rows) == 1 and not c.startswith(MARKS)), None
    )
    empty = next((c for c in answer.caveats if c.startswith(EMPTY_MARK)), None)
    note = say(answer.language, choice.note) if choice.note else None  # as_kind: why not
    foot = footer(fig, note or empty or (answer.notes[0] if answer.notes else caveat),
                  labels.as_of_text(answer))
    rect = (_MARGIN / fw, (_MARGIN * 0.6 + foot) / fh, 1 - 2 * _MARGIN / fw,
            1 - (top + _MARGIN * 0.6 + foot) / fh)
    draw(fig, rect, choice.chart, answer, ctx)
    return fig


def render_answer(answer: Answer, *, currency: str = "USD", fiscal_start_month: int = 1,
                  target: float | None = None) -> bytes | None:
    """PNG bytes (``theme.chart_pixels()`` in size) of ``answer``'s chart; None without rows."""
    fig = figure_for_answer(answer, currency=currency, fiscal_start_month=fiscal_start_month,
                            target=target)
    return None if fig is None else theme.to_png(fig)


def texts(fig: Figure) -> list[str]:
    """Every text drawn on ``fig`` (titles, labels, tick labels), for tests and alt text."""
    from matplotlib.text import Text

    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]
