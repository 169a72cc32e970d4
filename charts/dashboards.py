"""The three dashboards (KPI, outbound calls, inbound leads), each drawn as ONE image.

Panels are data (``dashboards.yaml``): a query, a chart kind and a grid position. The caller
passes ``run`` (Query → Answer: the metrics engine); a panel whose query raises a user error
(``NoData`` above all) shows a sentence in its cell and the rest of the image is drawn.

>>> png = render_dashboard("outbound calls", Query(dashboard="outbound calls"), engine.run)
... # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from charts import labels, layout, measure, median, render, theme
from charts.canvas import Ctx, Rect, message
from charts.choose import Chart, choose
from charts.simplify import drop_constant_groupings
from charts.targets import TargetBasis
from i18n import Language, Msg, Sayable, say, t
from metrics.answer import Answer, ResolvedWindow
from metrics.config_yaml import packaged_yaml
from metrics.errors import Unsupported, UserError
from metrics.format import format_range
from metrics.provenance import SourceMissing
from metrics.query import Comparison, Filter, Query, Ranking, WindowSpec

Run = Callable[[Query], Answer]
Names = Callable[[str], str]  # a dimension's name in the reader's language
GRID_COLS = 12
_PAD = 0.16  # inches: page margin and gap between panels
_HEAD = 0.34  # inches: a panel's title band
_WORKERS = 4  # panel queries in flight at once (DuckDB parallelises each one as well)


@dataclass(frozen=True)
class Panel:
    """One cell. A built-in panel has a ``query``; a pinned one has the ``question`` as typed
    (parsed again each time it is drawn, so "last 7 days" moves with time) and, when that no
    longer parses, the ``error`` its cell shows instead."""

    id: str
    title: str
    chart: Chart | str  # "auto": charts.choose decides from the answer
    at: tuple[int, int, int, int] | None  # row, col, rowspan, colspan; None: charts.layout
    query: Query
    columns: tuple[str, ...] = ()
    target: str | None = None
    frame: bool = True
    auto_grain: bool = False
    question: str = ""
    error: str | Sayable | None = None  # said in the board's language
    zh_title: str = ""  # the title in Chinese replies (same {window}/{compare} places)
    # Drawn only when its KPIs' source tables were imported (CAC, quota attainment): without
    # them the panel, and a row left empty, is left out rather than shown as a how-to sentence.
    optional: bool = False


@dataclass(frozen=True)
class Dashboard:
    """A board. ``rows`` empty: laid out automatically (charts.layout), as user boards are."""

    name: str
    title: str
    zh: str
    window: WindowSpec | None
    filters: tuple[Filter, ...]
    rows: tuple[float, ...]
    panels: tuple[Panel, ...]
    reps_panel: str | None = None

    @property
    def automatic(self) -> bool:
        return not self.rows


@dataclass(frozen=True)
class Target:
    """A gauge's target: each rep's rate per working day, ``per_rep_per_workday``, or where a
    KPI by rep names one (``per_rep_from``: daily call target, from a call_target source) that
    rep's own rate."""

    per_rep_per_workday: float
    per_rep_from: str | None = None


def _window(d: dict[str, Any] | None) -> WindowSpec | None:
    return None if d is None else WindowSpec(**d)


def _filters(items: list[dict[str, Any]] | None) -> tuple[Filter, ...]:
    return tuple(Filter(f["dimension"], f["op"], tuple(f["values"])) for f in items or ())


def _query(d: dict[str, Any]) -> tuple[Query, bool]:
    groupings = tuple(d.get("groupings") or ())
    auto = "auto" in groupings
    rk = d.get("ranking")
    q = Query(
        metrics=tuple(d["metrics"]),
        groupings=tuple(g for g in groupings if g != "auto"),
        window=_window(d.get("window")),
        filters=_filters(d.get("filters")),
        ranking=Ranking(rk["direction"], int(rk.get("n", 10)), rk.get("metric")) if rk else None,
        comparison=Comparison(d["comparison"]) if d.get("comparison") else None,
    )
    return q, auto


def _panel(i: int, p: dict[str, Any]) -> Panel:
    q, auto = _query(p["query"]) if "query" in p else (Query(), False)
    return Panel(
        id=str(p.get("id") or i + 1), title=str(p.get("title") or ""),
        chart=p.get("chart", "auto"),
        at=tuple(p["at"]) if p.get("at") else None,  # type: ignore[arg-type]
        query=q, columns=tuple(p.get("columns") or ()), target=p.get("target"),
        frame=bool(p.get("frame", True)), auto_grain=auto, question=str(p.get("question") or ""),
        zh_title=str(p.get("zh_title") or ""),
        optional=bool(p.get("optional", False)),
    )


def board_from_dict(name: str, b: dict[str, Any]) -> Dashboard:
    """One entry of ``dashboards:`` in the dashboards.yaml format. A panel has a ``query``
    (built-in boards) or a ``question`` (user boards: the text as typed); a board without
    ``rows`` is laid out automatically."""
    return Dashboard(
        name=name, title=str(b.get("title") or name), zh=str(b.get("zh") or ""),
        window=_window(b.get("window")), filters=_filters(b.get("filters")),
        rows=tuple(float(x) for x in b.get("rows") or ()),
        panels=tuple(_panel(i, p) for i, p in enumerate(b.get("panels") or ())),
        reps_panel=b.get("reps_panel"),
    )


@lru_cache(maxsize=1)
def load() -> tuple[dict[str, Dashboard], dict[str, Target]]:
    """dashboards.yaml, parsed once."""
    data = packaged_yaml("charts", "dashboards.yaml")
    boards = {name: board_from_dict(name, b) for name, b in data["dashboards"].items()}
    targets = {k: Target(**v) for k, v in (data.get("targets") or {}).items()}
    return boards, targets


def dashboard_names() -> tuple[str, ...]:
    return tuple(load()[0])


def find(name: str) -> Dashboard:
    boards = load()[0]
    key = name.strip().lower().removesuffix(" dashboard")
    for b in boards.values():
        if key in (b.name, b.title.lower()) or name.strip() == b.zh:
            return b
    raise Unsupported(
        Msg.of("grammar.no_dashboard", named=name),
        tuple(Msg.of("grammar.try.dashboard", dashboard=n) for n in boards),
    )


def grain_for(window: ResolvedWindow | None) -> str:
    """The trend grain that suits a window: day ≤ 14 days, week ≤ 120 days, month beyond.

    Rates by day over a month swing with a handful of records each day (a day with two
    opportunities is 0% or 50%); by week the trend a manager looks for shows through.
    """
    days = window.days if window is not None else None
    if days is None or days > 120:
        return "month"
    return "day" if days <= 14 else "week"


def panel_query(board: Dashboard, panel: Panel, asked: Query, grain: str | None) -> Query:
    """The panel's query under the dashboard's defaults and the user's window and filters."""
    q = panel.query
    window = asked.window or q.window or board.window
    comparison = (asked.comparison or q.comparison) if q.comparison else None
    groupings = q.groupings + ((grain,) if panel.auto_grain and grain else ())
    return dataclasses.replace(
        q, window=window, filters=board.filters + q.filters + asked.filters,
        comparison=comparison, groupings=groupings,
        chart=q.chart if panel.chart == "auto" else _asked_kind(panel.chart),
    )


def _asked_kind(chart: str) -> Any:
    """The user-level kind nearest a panel's chart (Query.chart is what a user could type)."""
    return {"kpi": "kpi", "gauge": "gauge", "table": "table", "line": "line",
            "funnel": "funnel"}.get(chart, "bar" if chart in ("bars", "columns", "panels",
                                                              "compare", "grouped") else None)


def workdays(start: date | None, end: date | None) -> int:
    if start is None or end is None or end < start:
        return 0
    n, d = 0, start
    while d <= end:
        n += d.weekday() < 5
        d += timedelta(days=1)
    return n


@dataclass
class _Result:
    answer: Answer | None = None
    error: str | Sayable | None = None  # said in the board's language when drawn
    missing: bool = False  # its KPIs read a source table not imported yet


def _answer(run: Run, query: Query) -> _Result:
    """A panel's answer, or the sentence its cell shows instead."""
    try:
        a = run(query)
    except SourceMissing as e:
        return _Result(error=e.said, missing=True)
    except UserError as e:  # NoData too: its sentence says what had no data, and when
        return _Result(error=e.said)
    if not a.rows:
        return _Result()  # the cell says "No data."
    return _Result(answer=a)


class Results(Mapping[str, _Result]):
    """Each panel's result by id, computed concurrently: the panel queries run on a pool of
    threads (DuckDB releases the GIL while it works) while the caller draws the panels whose
    answers are in. Looking a panel up waits for its answer."""

    def __init__(self, board: Dashboard, asked: Query, run: Run):
        self._pool = ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="kpibot-panel")
        self._futures: dict[str, Future[_Result]] = {}
        plain = [p for p in board.panels if not p.auto_grain]
        for p in plain:
            if p.error is not None:  # a pinned question that no longer parses: its sentence
                self._futures[p.id] = self._pool.submit(_Result, None, p.error)
                continue
            q = panel_query(board, p, asked, None)
            self._futures[p.id] = self._pool.submit(_answer, run, q)
        # Trend panels take the grain of the first answered window (the board's own).
        first_window = next(
            (
                r.answer.window
                for p in plain
                if p.query.window is None
                and (r := self[p.id]).answer is not None
                and r.answer.window is not None
            ),
            None,
        )
        grain = grain_for(first_window)
        for p in board.panels:
            if p.auto_grain:
                q = panel_query(board, p, asked, grain)
                self._futures[p.id] = self._pool.submit(_answer, run, q)
        self._pool.shutdown(wait=False)

    def __getitem__(self, key: str) -> _Result:
        return self._futures[key].result()

    def __iter__(self) -> Iterator[str]:
        return iter(self._futures)

    def __len__(self) -> int:
        return len(self._futures)


def run_panels(board: Dashboard, asked: Query, run: Run) -> Results:
    """Every panel's answer (or the sentence its cell shows), the queries started at once.
    Panels without a time grain go first: the first resolved window picks the grain of the
    trend panels."""
    return Results(board, asked, run)


def _target(board: Dashboard, panel: Panel, results: Mapping[str, _Result],
            answer: Answer, run: Run) -> TargetBasis | None:
    """The gauge's target over the answer's window: each rep of the reps panel's rate per
    working day (their own from ``per_rep_from`` when it names them, else the fixed rate)
    times the working days, with what it is made of (said under the gauge)."""
    t = load()[1].get(panel.target or "")
    reps = results.get(board.reps_panel or "")
    if t is None or reps is None or reps.answer is None or answer.window is None:
        return None
    days = workdays(answer.window.start, answer.window.end)
    own, source = _rates(run, t.per_rep_from) if t.per_rep_from else ({}, "")
    names = [str(row[0]) for row in reps.answer.rows]
    basis = TargetBasis(
        days=days,
        rate=t.per_rep_per_workday,
        at_rate=sum(1 for n in names if n not in own),
        own=tuple(own[n] for n in names if n in own),
        source=source,
    )
    return basis if basis.total else None


def _rates(run: Run, metric: str) -> tuple[dict[str, float], str]:
    """Each rep's rate from a KPI by rep (daily call target), and the KPI's name as the reply
    says it; none before its source is imported, so the fixed rate of dashboards.yaml holds."""
    res = _answer(run, Query(metrics=(metric,), groupings=("rep",), window=WindowSpec("all")))
    if res.answer is None:
        return {}, ""
    rates = {str(r[0]): float(r[1]) for r in res.answer.rows if r[0] is not None and r[1]}
    return rates, res.answer.columns[1].spoken


def _without_missing(board: Dashboard, results: Mapping[str, _Result]) -> Dashboard:
    """The board without its optional panels whose source is not imported, and without the
    rows that leaves empty (the rows below move up)."""
    gone = {p.id for p in board.panels if p.optional and results[p.id].missing}
    if not gone or board.automatic:
        return board
    panels = [p for p in board.panels if p.id not in gone]
    used = {r for p in panels if p.at for r in range(p.at[0], p.at[0] + p.at[2])}
    empty = [r for r in range(len(board.rows)) if r not in used]

    def moved(p: Panel) -> Panel:
        if p.at is None:
            return p
        row, col, rs, cs = p.at
        return dataclasses.replace(p, at=(row - sum(1 for r in empty if r < row), col, rs, cs))

    rows = tuple(h for r, h in enumerate(board.rows) if r not in empty)
    return dataclasses.replace(board, rows=rows, panels=tuple(moved(p) for p in panels))


def _height(board: Dashboard, drawn: Dashboard) -> float:
    """The page's height: the standard one for the board without its optional rows, taller
    by the optional rows that are drawn (each keeps the height it has beside the others)."""
    base = tuple(
        h
        for r, h in enumerate(board.rows)
        if any(not p.optional for p in board.panels if p.at and p.at[0] <= r < p.at[0] + p.at[2])
    )
    return theme.DASHBOARD_SIZE[1] * sum(drawn.rows) / (sum(base) or 1)


def _cell_rect(board: Dashboard, at: tuple[int, int, int, int], fig: Figure,
               top_in: float) -> Rect:
    fw, fh = fig.get_size_inches()
    row, col, rs, cs = at
    grid_w = fw - 2 * _PAD
    grid_h = fh - top_in - _PAD
    unit_h = grid_h / sum(board.rows)
    x = _PAD + grid_w * col / GRID_COLS
    w = grid_w * cs / GRID_COLS
    y_top = top_in + unit_h * sum(board.rows[:row])
    h = unit_h * sum(board.rows[row:row + rs])
    # Half a gap on each side of every cell: neighbours end up one gap apart.
    g = _PAD / 2
    return ((x + g) / fw, 1 - (y_top + h - g) / fh, (w - 2 * g) / fw, (h - 2 * g) / fh)


def _backdrop(fig: Figure) -> Axes:
    """The page-sized axes, behind every panel, that panel frames are drawn on (in inches)."""
    fw, fh = fig.get_size_inches()
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_xlim(0, fw)
    ax.set_ylim(0, fh)
    ax.set_zorder(-1)
    return ax


def _frame(fig: Figure, backdrop: Axes, rect: Rect) -> None:
    """A white panel with the same corner radius (in inches) whatever its shape."""
    fw, fh = fig.get_size_inches()
    x, y, w, h = rect
    backdrop.add_artist(FancyBboxPatch((x * fw, y * fh), w * fw, h * fh,
                                       boxstyle="round,pad=0,rounding_size=0.08",
                                       facecolor=theme.PANEL, edgecolor=theme.GRID,
                                       linewidth=0.8))


def _panel_title(fig: Figure, rect: Rect, text: str, aside: str) -> None:
    fw, fh = fig.get_size_inches()
    x = rect[0] + 0.14 / fw
    y = rect[1] + rect[3] - 0.12 / fh
    size = theme.PANEL_TITLE
    title = measure.fit(text, rect[2] * fw - 0.3, size, bold=True)
    fig.text(x, y, title, fontsize=size, fontweight="bold", color=theme.INK, va="top")
    if aside:
        x2 = x + (measure.width(title, size, bold=True) + 0.12) / fw
        left = (rect[2] * fw - 0.3) - (x2 - x) * fw
        if measure.width(aside, theme.SMALL) < left:  # dates are shown whole or not at all
            fig.text(x2, y - 0.02 / fh, aside, fontsize=theme.SMALL, color=theme.MUTED,
                     va="top")


def _inset(fig: Figure, rect: Rect, top: float, side: float = 0.12,
           bottom: float = 0.1) -> Rect:
    fw, fh = fig.get_size_inches()
    return (rect[0] + side / fw, rect[1] + bottom / fh, rect[2] - 2 * side / fw,
            rect[3] - (top + bottom) / fh)


def _main_window(results: Mapping[str, _Result], board: Dashboard) -> Answer | None:
    """The answer whose window the subtitle names: the first panel on the board's window (a
    user board's panels all have their own: the first panel's)."""
    for p in board.panels:
        r = results.get(p.id)
        if r and r.answer is not None and (p.query.window is None or p.question):
            return r.answer
    return None


def _kind(p: Panel, res: _Result) -> str:
    if res.answer is None:
        return "message"
    return choose(res.answer) if p.chart == "auto" else str(p.chart)


def _need(p: Panel, res: _Result) -> layout.Need:
    a = res.answer
    return layout.Need(p.id, _kind(p, res), len(a.columns) if a else 0, len(a.rows) if a else 0)


def _placed(board: Dashboard, results: Mapping[str, _Result]) -> tuple[Dashboard, layout.Plan]:
    """The board with every panel at its place (by charts.layout), and the plan."""
    plan = layout.plan([_need(p, results[p.id]) for p in board.panels])
    panels = tuple(
        dataclasses.replace(p, at=plan.at[p.id], frame=_kind(p, results[p.id]) != "kpi")
        for p in board.panels
    )
    return dataclasses.replace(board, rows=plan.rows, panels=panels), plan


def figure_for_dashboard(name: str, query: Query, run: Run, *, names: Names = str,
                         currency: str = "USD", fiscal_start_month: int = 1,
                         lang: Language = Language.EN) -> Figure:
    """The dashboard as a Figure (tests read its texts); ``render_dashboard`` saves it."""
    return figure_for_board(find(name), query, run, names=names,
                            currency=currency, fiscal_start_month=fiscal_start_month, lang=lang)


def board_title(board: Dashboard, lang: Language) -> str:
    """What the image is called in ``lang`` (KPI大屏); a board without a Chinese name keeps its
    own."""
    return {Language.ZH: board.zh}.get(lang) or board.title


def figure_for_board(board: Dashboard, query: Query, run: Run, *, names: Names = str,
                     currency: str = "USD", fiscal_start_month: int = 1,
                     lang: Language = Language.EN) -> Figure:
    """Any board (built-in or a user's) as a Figure: its panels run, placed and drawn, its
    words in ``lang`` (the panels' answers are asked in it by ``run``; ``names`` says a
    dimension of the filters in it: 渠道 = inbound)."""
    results = run_panels(board, query, run)
    size = theme.DASHBOARD_SIZE
    if not board.automatic:
        drawn = _without_missing(board, results)
        size = (size[0], _height(board, drawn))
        board = drawn
    if board.automatic:
        board, plan = _placed(board, results)
        size = layout.figure_size(plan.rows, plan.natural)
    fig = theme.new_figure(size, facecolor=theme.PAGE)
    main = _main_window(results, board)
    _page_head(fig, board, query, main, names, lang)
    ctx0 = Ctx(currency=currency, fiscal_start_month=fiscal_start_month, lang=lang)
    rects = {p.id: _cell_rect(board, p.at or (0, 0, 1, GRID_COLS), fig, top_in=0.82)
             for p in board.panels}
    backdrop = _backdrop(fig)
    rep = median.one_rep(query)
    for p in board.panels:  # each as soon as its answer is in; later queries keep running
        _draw_panel(fig, backdrop, rects[p.id], board, p, results, query, run, rep, main, ctx0)
    return fig


def _page_head(fig: Figure, board: Dashboard, query: Query, main: Answer | None,
               names: Names, lang: Language) -> None:
    """The board's title (with the asker's filters), its window and filters, its data as-of."""
    fw, fh = fig.get_size_inches()
    suffix = labels.filter_text(query.filters, names)
    title = board_title(board, lang) + (f" · {suffix}" if suffix else "")
    sub_bits = [labels.window_text(main) if main else "", labels.filter_text(board.filters, names)]
    subtitle = " · ".join(b for b in sub_bits if b)
    fig.text(_PAD / fw * 1.5, 1 - 0.16 / fh, labels.cut(title, 70), fontsize=16,
             fontweight="bold", color=theme.INK, va="top")
    fig.text(_PAD / fw * 1.5, 1 - 0.5 / fh, subtitle, fontsize=theme.LABEL, color=theme.MUTED,
             va="top")
    if main is not None and main.data_as_of is not None:
        fig.text(1 - _PAD / fw * 1.5, 1 - 0.5 / fh, labels.as_of_text(main),
                 fontsize=theme.LABEL, color=theme.MUTED, va="top", ha="right")


def _draw_panel(fig: Figure, backdrop: Axes, rect: Rect, board: Dashboard, p: Panel,
                results: Results, query: Query, run: Run, rep: str | None,
                main: Answer | None, ctx0: Ctx) -> None:
    """One panel in its cell: its frame and title when it has them, then its chart, or the
    sentence saying why there is none."""
    lang = ctx0.lang
    res = results[p.id]
    a = res.answer
    if a is not None and rep is not None and median.applies(a, a.query, rep):
        a = median.against_team_median(a, a.query, run, rep)  # her row, her team's median
    grouped = a is not None and bool(a.query.groupings)
    said = ""
    if a is not None:
        a, said = drop_constant_groupings(a, ctx0.fiscal_start_month, _filtered(query))
    inner = rect
    # A frameless panel (cards on the page) gets a frame after all when it has only a
    # sentence.
    if p.frame or a is None:
        _frame(fig, backdrop, rect)
        aside = said
        if a is not None and a.window is not None and main is not None \
                and a.window != main.window:
            aside = format_range(a.window.start, a.window.end, lang)
        _panel_title(fig, rect, _title(p, a, query, lang), aside)
        inner = _inset(fig, rect, top=_HEAD + 0.06)
    if a is None:
        why = t(lang, "chart.no_data") if res.error is None else say(lang, res.error)
        message(fig, inner, _fit(fig, inner, why), ctx0)
        return
    # A one-row by-rep panel that could not be set against its team: cards, no rep axis.
    lost_axis = grouped and not a.query.groupings
    if lost_axis:  # the panel's own kind (a per-rep table) no longer fits: cards
        a = dataclasses.replace(a, query=dataclasses.replace(a.query, chart=None))
    chart = choose(a) if p.chart == "auto" or lost_axis else p.chart
    ctx = dataclasses.replace(
        ctx0, columns=tuple(c for c in p.columns if _has(a, c)),
        card=theme.PANEL,
    )
    basis = _target(board, p, results, a, run) if chart == "gauge" else None
    if basis is not None:
        ctx = dataclasses.replace(ctx, target=basis.total, target_basis=basis)
    render.draw(fig, inner, chart, a, ctx)  # type: ignore[arg-type]


_PLACE = re.compile(r"\s*\b(?:of|vs|in)\s+\{(?:window|compare)\}|\{(?:window|compare)\}")


def panel_title(panel: Panel, answer: Answer | None, lang: Language = Language.EN) -> str:
    """The panel's title with {window} / {compare} filled from the windows its answer used
    ("Top 5 deals of this year" when the user asked for this year); a panel without an answer
    drops the phrase rather than guess ("Top 5 deals")."""
    title = {Language.ZH: panel.zh_title}.get(lang) or panel.title
    win = answer.window if answer is not None else None
    cmp = answer.compare_window if answer is not None else None
    if win is None or ("{compare}" in title and cmp is None):
        return _PLACE.sub("", title)
    return title.format(window=_said(win, lang), compare=_said(cmp, lang) if cmp else "")


def _said(w: ResolvedWindow, lang: Language) -> str:
    """A window as a title says it: its name without ", default"."""
    return w.name(lang).removesuffix(t(lang, "window.default", name=""))


def _title(p: Panel, a: Answer | None, asked: Query, lang: Language = Language.EN) -> str:
    """A panel's own title; a pinned question's is the question, unless the board is asked
    for another window (then the answer's restatement, which names the window it ran on)."""
    if p.title or not p.question:
        return panel_title(p, a, lang)
    if a is not None and asked.window is not None:
        restated = labels.unbracketed(a).split(" · ")[0]
        return restated[:1].upper() + restated[1:]
    return p.question[:1].upper() + p.question[1:]


def _fit(fig: Figure, rect: Rect, text: str) -> str:
    """A cell's sentence wrapped to the cell (matplotlib wraps to the page, not the cell)."""
    cells = int(rect[2] * fig.get_size_inches()[0] * 72 / (theme.LABEL * 0.6))
    return labels.wrap(text, max(cells, 12), 5)


def _filtered(query: Query) -> frozenset[tuple[str, object]]:
    """The (dimension, stored value) pairs the user's filters keep: a panel grouping with only
    that value is not said again (the title says the filter), in any language."""
    return frozenset((f.dimension, v) for f in query.filters if f.op == "in" for v in f.values)


def _has(answer: Answer, column: str) -> bool:
    return any(c.name == column for c in answer.columns)


def render_board(board: Dashboard, query: Query, run: Run, *, names: Names = str,
                 currency: str = "USD", fiscal_start_month: int = 1,
                 lang: Language = Language.EN) -> bytes:
    """PNG bytes of any board (a user's is as tall as its panels need)."""
    fig = figure_for_board(board, query, run, names=names, currency=currency,
                           fiscal_start_month=fiscal_start_month, lang=lang)
    return theme.to_png(fig)


def render_dashboard(name: str, query: Query, run: Run, *, names: Names = str,
                     currency: str = "USD", fiscal_start_month: int = 1,
                     lang: Language = Language.EN) -> bytes:
    """PNG bytes (``theme.dashboard_pixels()`` in size) of the dashboard called ``name``
    (``kpi``, ``outbound calls``, ``inbound leads``, or their titles / Chinese names).
    ``query`` carries the user's window and filters; ``run`` answers each panel's query."""
    fig = figure_for_dashboard(name, query, run, names=names, currency=currency,
                               fiscal_start_month=fiscal_start_month, lang=lang)
    return theme.to_png(fig)
