"""One answer → one PNG: the chosen chart under a title (the restated question) and a subtitle
(the window's dates, the comparison window, "data as of").

>>> png = render_answer(answer)  # doctest: +SKIP
>>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"  # doctest: +SKIP
True

No rows → ``None``: the caller says a sentence instead of showing an empty chart.
"""

from __future__ import annotations

from collections.abc import Sequence

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


_FOOT_LINES = 4  # a footnote longer than this is cut; the text reply has it in full
_FOOT_Y = 0.12  # inches from the bottom edge to the footer's last line


def footer(fig: Figure, notes: Sequence[str], as_of: str) -> float:
    """The notes (left, each wrapped to the image's width, at most ``_FOOT_LINES`` lines in all)
    and "data as of …" (right, on the last note line when it fits beside it, else below);
    returns their height (in) so the chart above leaves them room."""
    notes = [n for n in dict.fromkeys(notes) if n]
    if not notes and not as_of:
        return 0.0
    fw, fh = fig.get_size_inches()
    size = theme.SMALL
    line = size * 1.3 / 72
    lines = _foot_lines(notes, fw - 2 * _MARGIN, size)
    beside = bool(lines) and measure.fits(
        lines[-1], fw - 2 * _MARGIN - measure.width(as_of, size) - 0.3, size
    )
    below = 1 if as_of and lines and not beside else 0
    if as_of:
        fig.text(1 - _MARGIN / fw, _FOOT_Y / fh, as_of, fontsize=size, color=theme.FAINT,
                 va="bottom", ha="right")
    for k, text in enumerate(reversed(lines)):  # a line each: "data as of" sits beside the last
        fig.text(_MARGIN / fw, (_FOOT_Y + (below + k) * line) / fh, text, fontsize=size,
                 color=theme.MUTED, va="bottom", ha="left")
    return _FOOT_Y + 0.18 + (max(len(lines), 1) + below - 1) * line


def _foot_lines(notes: list[str], inches: float, size: float) -> list[str]:
    """The notes' lines, each note starting on a line of its own; a note that no longer fits
    whole is cut on the last line (the first one) or left out (the later ones)."""
    out: list[str] = []
    for note in notes:
        room = _FOOT_LINES - len(out)
        wrapped = measure.wrap(note, inches, size, _FOOT_LINES).split("\n")
        if len(wrapped) > room and out:
            break
        out += measure.wrap(note, inches, size, room).split("\n") if room else []
    return out


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
    foot = footer(fig, [note or empty or (answer.notes[0] if answer.notes else caveat) or ""],
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
