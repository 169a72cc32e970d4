"""Category labels laid out so they cannot collide, chosen by measured width.

Under columns, in this order: one line · wrapped to two lines · every k-th label (hours, days:
values a reader can count on from their neighbours) · rotated 45° · none of these (the caller
turns the chart horizontal). Beside horizontal bars: one line · two lines when the row is tall
enough · cut with "…" (never a name of five characters or fewer).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from charts import measure

_GAP = 0.92  # a label may use this much of its column's width …
_SPACE = 0.07  # … and leaves at least this many inches to its neighbour
ROTATION = 45
MIN_LABEL_PT = 7.0  # no label is drawn smaller than this (the gallery test checks it)


@dataclass(frozen=True)
class ColumnLabels:
    texts: tuple[str, ...]  # one per column ("" where thinned out)
    rotation: int  # 0 or ROTATION
    height: float  # inches the labels take below the axes


def _room(slot: float) -> float:
    return min(slot * _GAP, slot - _SPACE)


def _flat(names: list[str], slot: float, size: float) -> ColumnLabels | None:
    if all(measure.fits(n, _room(slot), size) for n in names):
        return ColumnLabels(tuple(names), 0, measure.height(1, size))
    return None


def _wrapped(names: list[str], slot: float, size: float) -> ColumnLabels | None:
    wrapped = [measure.wrap(n, _room(slot), size, 2) for n in names]
    if any(measure.is_cut(w) and not measure.is_cut(n) for w, n in zip(wrapped, names,
                                                                        strict=True)):
        return None
    if any(measure.width(w, size) > _room(slot) for w in wrapped):
        return None
    lines = max(w.count("\n") + 1 for w in wrapped)
    return ColumnLabels(tuple(wrapped), 0, measure.height(lines, size))


def _thinned(names: list[str], slot: float, size: float) -> ColumnLabels | None:
    widest = max(measure.width(n, size) for n in names) + _SPACE
    step = math.ceil(widest / slot)
    if step > len(names) // 2:
        return None
    texts = tuple(n if i % step == 0 else "" for i, n in enumerate(names))
    return ColumnLabels(texts, 0, measure.height(1, size))


def _rotated(names: list[str], slot: float, size: float, room: float) -> ColumnLabels | None:
    s = math.sin(math.radians(ROTATION))
    if measure.height(1, size) / s > slot * 1.02:
        return None  # neighbours' rotated lines would touch
    longest = room / s - 0.05
    texts = tuple(measure.fit(n, longest, size) for n in names)
    if sum(measure.is_cut(t) for t in texts) > len(texts) / 3:
        return None
    tall = max(measure.width(t, size) for t in texts) * s + measure.height(1, size) * s
    return ColumnLabels(texts, ROTATION, tall)


def under_columns(names: list[str], slot: float, size: float, *, room: float,
                  countable: bool = False) -> ColumnLabels | None:
    """Labels for columns ``slot`` inches apart with ``room`` inches below the axes, or None
    when only horizontal bars can show them. ``countable``: values whose missing labels a reader
    can infer (hours, days), so every k-th label may be left out."""
    for s in (size, max(size * 0.88, MIN_LABEL_PT)):
        for step in (_flat, _wrapped):
            got = step(names, slot, s)
            if got is not None and got.height <= room:
                return got
        if countable:
            got = _thinned(names, slot, s)
            if got is not None:
                return got
    got = _rotated(names, slot, max(size * 0.88, MIN_LABEL_PT), room)
    return got


def beside_bars(names: list[str], max_in: float, size: float, row_in: float) -> list[str]:
    """Names beside horizontal bars, at most ``max_in`` wide: whole, wrapped to two lines when a
    row is tall enough, else cut with "…"."""
    if all(measure.fits(n, max_in, size) for n in names):
        return names
    two = row_in >= measure.height(2, size) * 1.05
    return [measure.wrap(n, max_in, size, 2) if two else measure.fit(n, max_in, size)
            for n in names]
