"""Automatic layout of a user's dashboard: where each panel goes, from the charts it will draw.

A user board has no hand-made grid: its panels are answers pinned in any order. The layout is
decided after the panels ran, from the chart each one draws (``WIDTH``, a table):

* one-number answers (``kpi`` cards) share the first row, up to ``MAX_TILES`` a row;
* then the charts, in their pinned order, on rows of the 12-column grid: each takes its
  kind's width (tables and long by-rep bars are wide, weekday columns and gauges narrow); a row that
  is not full is shared out again, in proportion, so every row spans the page;
* a panel that shows a sentence instead of a chart (its question no longer parses, no data) is
  a small cell like a gauge, so a broken panel does not take a whole row.

The figure is as tall as its rows need (``figure_size``): one panel is a card, twelve a page.

>>> plan([Need("a", "kpi"), Need("b", "bars"), Need("c", "columns")]).at["b"]
(0, 4, 1, 8)
"""

from __future__ import annotations

from dataclasses import dataclass

GRID = 12
MAX_TILES = 6  # cards on one row; more start a second row of cards
TILE_ROW = 1.0  # relative height of a row of cards
CHART_ROW = 2.2  # relative height of a row of charts
TALL_ROW = 2.8  # a row holding a table or long bars (many rows to read)
ROW_INCHES = 1.25  # inches per unit of relative row height
WIDTH_IN = 12.0  # the page is as wide as the built-in dashboards
HEAD_IN = 0.82  # title band of the page
MIN_WIDTH_IN = 7.0  # the title, the dates and "data as of" side by side

# Columns of the 12-column grid a chart wants, by kind (``message``: a sentence instead).
WIDTH: dict[str, int] = {
    "table": 12,
    "bars": 6,
    "panels": 8,
    "grouped": 8,
    "lines": 8,
    "stacked": 6,
    "line": 6,
    "compare": 6,
    "funnel": 6,
    "columns": 5,
    "donut": 4,
    "gauge": 3,
    "message": 4,
}
TALL = frozenset({"table", "panels", "grouped"})
LONG_BARS = 12  # bars beyond this many rows get more width and a taller row


@dataclass(frozen=True)
class Need:
    """What layout needs to know of a panel: its chart, and its table's size."""

    id: str
    kind: str
    columns: int = 0
    rows: int = 0

    @property
    def width(self) -> int:
        if self.kind == "table" and self.columns <= 3:
            return 6  # rep and one number: a long, narrow list
        if self.kind == "bars" and self.rows > LONG_BARS:
            return 8  # many reps: room for their names and values
        return WIDTH.get(self.kind, 6)

    @property
    def tall(self) -> bool:
        if self.kind == "bars":
            return self.rows > LONG_BARS
        return self.kind in TALL and (self.kind != "table" or self.rows > 6)


@dataclass(frozen=True)
class Plan:
    """Grid positions (row, col, rowspan, colspan) by panel id, and relative row heights."""

    at: dict[str, tuple[int, int, int, int]]
    rows: tuple[float, ...]
    natural: int = GRID  # columns the widest row wanted before it was spread over the page


def _tile_rows(tiles: list[str]) -> list[list[tuple[str, int]]]:
    """Cards, evenly shared over as few rows as hold them."""
    if not tiles:
        return []
    n_rows = -(-len(tiles) // MAX_TILES)
    per = -(-len(tiles) // n_rows)
    rows = [tiles[i : i + per] for i in range(0, len(tiles), per)]
    return [_spread([(t, 1) for t in row]) for row in rows]


def _spread(row: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Widths scaled so the row spans all 12 columns (largest remainders get the spare)."""
    total = sum(w for _, w in row)
    exact = [w * GRID / total for _, w in row]
    widths = [int(x) for x in exact]
    spare = GRID - sum(widths)
    for i in sorted(range(len(row)), key=lambda i: exact[i] - widths[i], reverse=True)[:spare]:
        widths[i] += 1
    return [(pid, w) for (pid, _), w in zip(row, widths, strict=True)]


def _chart_rows(charts: list[Need]) -> list[list[tuple[str, int]]]:
    """First fit in pinned order: a panel goes on the first row with room for it, so a narrow
    chart fills the gap beside an earlier one instead of being stretched over a row alone."""
    rows: list[list[tuple[str, int]]] = []
    for n in charts:
        for row in rows:
            if sum(w for _, w in row) + n.width <= GRID:
                row.append((n.id, n.width))
                break
        else:
            rows.append([(n.id, n.width)])
    return [_spread(r) for r in rows]


def plan(panels: list[Need]) -> Plan:
    """Where each panel goes: cards first (one or two cards share their row with the first
    charts of normal height that fit), then charts, first fit in their pinned order."""
    need = {n.id: n for n in panels}
    tiles = [n.id for n in panels if n.kind == "kpi"]
    charts = [n for n in panels if n.kind != "kpi"]
    rows = _tile_rows(tiles)
    if 0 < len(tiles) <= 2 and charts:  # one or two cards: beside the first charts that fit
        room, beside = GRID - 3 * len(tiles), list[Need]()
        for c in charts:  # not beside a long table: a card in a tall row looks lost
            if not c.tall and c.width <= room - sum(x.width for x in beside):
                beside.append(c)
        if beside:
            rows = [_spread([(t, 3) for t in tiles] + [(c.id, c.width) for c in beside])]
            charts = [c for c in charts if c not in beside]
    natural = max(
        [3 * min(len(tiles), MAX_TILES)]
        + [n.width for n in charts]
        + [sum(need[pid].width if need[pid].kind != "kpi" else 3 for pid, _ in row) for row in rows]
    )
    rows += _chart_rows(charts)
    if len(rows) > 1:
        natural = GRID
    at: dict[str, tuple[int, int, int, int]] = {}
    heights: list[float] = []
    for r, row in enumerate(rows):
        col = 0
        for pid, w in row:
            at[pid] = (r, col, 1, w)
            col += w
        if all(need[pid].kind == "kpi" for pid, _ in row):
            heights.append(TILE_ROW)
        else:
            heights.append(TALL_ROW if any(need[p].tall for p, _ in row) else CHART_ROW)
    return Plan(at, tuple(heights), min(natural, GRID))


def figure_size(rows: tuple[float, ...], natural: int = GRID) -> tuple[float, float]:
    """Inches: as tall as the rows need; the built-in boards' width, or narrower for a board of
    one row that wants less (a single card is not stretched over a 12-inch page)."""
    width = max(MIN_WIDTH_IN, WIDTH_IN * natural / GRID)
    return round(width, 2), round(HEAD_IN + 0.16 + ROW_INCHES * sum(rows), 2)
