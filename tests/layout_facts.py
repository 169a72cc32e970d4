"""Measurable layout facts of a drawn figure: what the chart gallery asserts on every chart.

- no two texts overlap (bounding boxes as drawn, a pixel of tolerance);
- nothing is drawn outside the canvas;
- no text is smaller than the minimum size;
- a label cut with "…" could not have been drawn whole: its full text, anchored where the cut
  one is, would overlap another text or leave the canvas, or take more than MAX_NAME_SHARE of
  the image's width (names beside bars never take more, so the bars keep their room);
- no name of five characters or fewer is cut;
- no text sits partly over a bar: a label is either clear of every bar or wholly inside one
  (a value written on its own bar), never half over a neighbour's (the previous period's longer
  bar under a current value).
"""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from charts import measure

MIN_PT = 7.0
MAX_NAME_SHARE = 0.4
_TOL = 1.0  # pixels
_FIT_GAP = 8.0  # pixels a whole label would keep from its neighbours


@dataclass(frozen=True)
class Drawn:
    text: str
    box: Bbox
    size: float
    ha: str


def drawn_texts(fig: Figure) -> list[Drawn]:
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    hidden = _ticks_out_of_view(fig)
    out = []
    for t in fig.findobj(Text):
        if id(t) in hidden:
            continue
        if not t.get_visible() or not t.get_text().strip() or t.axes is not None and \
                not t.axes.get_visible():
            continue
        out.append(Drawn(t.get_text(), t.get_window_extent(renderer), t.get_fontsize(),
                         t.get_horizontalalignment()))
    return out


def _ticks_out_of_view(fig: Figure) -> set[int]:
    """Tick labels matplotlib keeps but does not draw (ticks outside the view limits)."""
    hidden: set[int] = set()
    for ax in fig.axes:
        for a in (ax.xaxis, ax.yaxis):
            shown = ax.axison and a.get_visible()
            drawn = {id(t) for t in a._update_ticks()} if shown else set()  # type: ignore[attr-defined]
            for t in a.get_major_ticks() + a.get_minor_ticks():
                if id(t) not in drawn:
                    hidden.update((id(t.label1), id(t.label2)))
    return hidden


def _overlap(a: Bbox, b: Bbox) -> bool:
    return (a.x0 + _TOL < b.x1 and b.x0 + _TOL < a.x1 and a.y0 + _TOL < b.y1
            and b.y0 + _TOL < a.y1)


def overlaps(texts: list[Drawn]) -> list[tuple[str, str]]:
    bad = []
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            if _overlap(a.box, b.box):
                bad.append((a.text, b.text))
    return bad


def outside(fig: Figure, texts: list[Drawn]) -> list[str]:
    w, h = fig.canvas.get_width_height()  # type: ignore[attr-defined]
    return [t.text for t in texts if t.box.x0 < -_TOL or t.box.y0 < -_TOL
            or t.box.x1 > w + _TOL or t.box.y1 > h + _TOL]


def too_small(texts: list[Drawn], minimum: float = MIN_PT) -> list[tuple[str, float]]:
    return [(t.text, t.size) for t in texts if t.size < minimum - 0.01]


def needless_cuts(fig: Figure, texts: list[Drawn], names: list[str]) -> list[str]:
    """Cut labels whose full name (one of ``names``) would have fitted where they are drawn."""
    w, h = fig.canvas.get_width_height()  # type: ignore[attr-defined]
    scale = fig.dpi / 72.0
    bad = []
    for t in texts:
        lines = t.text.split("\n")
        if not lines[-1].endswith(measure.ELLIPSIS):
            continue
        stem = t.text.replace("\n", " ").removesuffix(measure.ELLIPSIS).rstrip()
        full = next((n for n in names if n.startswith(stem) or n.replace(" ", "")
                     .startswith(stem.replace(" ", ""))), None)
        if full is None:
            continue
        if len(full) <= measure.MIN_CUT_CHARS:
            bad.append(f"{full!r} is cut although it has {len(full)} characters")
            continue
        extra = (measure.width(full, t.size) * 72 * scale) - t.box.width
        if extra <= 0:
            continue
        x0, x1 = t.box.x0, t.box.x1
        if t.ha == "right":
            x0 -= extra
        elif t.ha == "center":
            x0, x1 = x0 - extra / 2, x1 + extra / 2
        else:
            x1 += extra
        # "Would fit" keeps a small gap to its neighbours (touching labels read as one).
        box = Bbox.from_extents(x0 - _FIT_GAP, t.box.y0, x1 + _FIT_GAP, t.box.y1)
        if x0 < 0 or x1 > w or x1 - x0 > MAX_NAME_SHARE * w:
            continue
        if any(o is not t and _overlap(box, o.box) for o in texts):
            continue
        bad.append(f"{full!r} was cut to {t.text!r} with room for it")
    return bad


def _bars(fig: Figure) -> list[Bbox]:
    """Every drawn bar (a visible, non-empty Rectangle of an axes) as a window box."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    out = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for p in ax.patches:
            if type(p) is Rectangle and p.get_visible() and p.get_width() and p.get_height():
                box = p.get_window_extent(renderer)
                if box.width > _TOL and box.height > _TOL:
                    out.append(box)
    return out


def _inside(a: Bbox, b: Bbox) -> bool:
    return (a.x0 >= b.x0 - _TOL and a.x1 <= b.x1 + _TOL and a.y0 >= b.y0 - _TOL
            and a.y1 <= b.y1 + _TOL)


def texts_over_bars(fig: Figure, texts: list[Drawn]) -> list[str]:
    """Texts partly over a bar (neither clear of it nor wholly inside it)."""
    bars = _bars(fig)
    return [t.text for t in texts
            if any(_overlap(t.box, b) and not _inside(t.box, b) for b in bars)]


def check(fig: Figure, names: list[str] = (), minimum: float = MIN_PT) -> list[str]:  # type: ignore[assignment]
    """Every broken layout fact of ``fig``, as sentences (empty when the layout is sound)."""
    texts = drawn_texts(fig)
    problems = [f"texts overlap: {a!r} and {b!r}" for a, b in overlaps(texts)]
    problems += [f"outside the canvas: {t!r}" for t in outside(fig, texts)]
    problems += [f"{t!r} at {s:.1f} pt" for t, s in too_small(texts, minimum)]
    problems += needless_cuts(fig, texts, list(names))
    problems += [f"{t!r} sits partly over a bar" for t in texts_over_bars(fig, texts)]
    return problems
